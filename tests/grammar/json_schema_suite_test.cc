// The official JSON-Schema-Test-Suite (../shared/jsonschema-suite, draft
// 2020-12 and draft-07). For every test whose schema compiles, the instance
// serialized compactly (object keys in schema property order where the
// schema names them) is matched. Invalid instances must be rejected, without
// exception. A valid instance may be rejected only for a documented spelling
// restriction of json_schema.h, or because steer asserts `format` (the suite
// treats it as an annotation by default) or ignores a custom $vocabulary;
// those are counted by reason, and every other valid instance must be
// accepted. Schemas that do not compile (unsupported
// keywords, remote refs) are counted.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "shared_data.h"
#include "steer/grammar/json_schema.h"
#include "steer/grammar/matcher.h"

namespace steer::grammar {
namespace {

using Json = nlohmann::ordered_json;

// Serializes `v` compactly; an object's keys follow `schema`'s "properties"
// order (then its "required" order), then the instance's order.
void Serialize(const Json& v, const Json* schema, std::string* out) {
  if (v.is_object()) {
    std::vector<std::string> order;
    auto add = [&](const std::string& k) {
      if (v.contains(k) && std::find(order.begin(), order.end(), k) == order.end()) order.push_back(k);
    };
    const Json* props = nullptr;
    if (schema && schema->is_object() && schema->contains("properties") && (*schema)["properties"].is_object()) {
      props = &(*schema)["properties"];
      for (const auto& [k, _] : props->items()) add(k);
    }
    if (schema && schema->is_object() && schema->contains("required") && (*schema)["required"].is_array()) {
      for (const auto& k : (*schema)["required"])
        if (k.is_string()) add(k.get<std::string>());
    }
    for (const auto& [k, _] : v.items()) add(k);
    *out += '{';
    for (size_t i = 0; i < order.size(); ++i) {
      if (i) *out += ',';
      *out += Json(order[i]).dump();
      *out += ':';
      const Json* sub = props && props->contains(order[i]) ? &(*props)[order[i]] : nullptr;
      Serialize(v[order[i]], sub, out);
    }
    *out += '}';
    return;
  }
  if (v.is_array()) {
    const Json* items = schema && schema->is_object() && schema->contains("items") ? &(*schema)["items"] : nullptr;
    *out += '[';
    for (size_t i = 0; i < v.size(); ++i) {
      if (i) *out += ',';
      Serialize(v[i], items && items->is_object() ? items : nullptr, out);
    }
    *out += ']';
    return;
  }
  *out += v.dump();
}

// Why a valid instance may be rejected (json_schema.h's spelling subset).
std::string SpellingReason(const Json& v) {
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (d == static_cast<double>(static_cast<int64_t>(d))) return "integral number spelled with a fraction";
    if (v.dump().find_first_of("eE") != std::string::npos) return "exponent";
    if (d == 0 && std::signbit(d)) return "-0";
  }
  if (v.is_object() && v.size() >= 2) return "object keys not in schema order";
  if (v.is_object() || v.is_array()) {
    for (const auto& x : v) {
      std::string r = SpellingReason(x);
      if (!r.empty()) return r;
    }
  }
  return "";
}

TEST(JsonSchemaSuite, InstancesAcceptedIffValid) {
  STEER_REQUIRE_SHARED(root, "jsonschema-suite/tests");
  int groups = 0, compiled = 0, tests = 0, valid_accepted = 0, invalid_rejected = 0;
  std::map<std::string, int> not_compiled, valid_rejected;
  for (const char* draft : {"draft2020-12", "draft7"}) {
    JsonSchemaOptions opts;
    opts.whitespace = JsonWhitespace::kCompact;
    opts.default_draft = std::string(draft) == "draft7" ? JsonSchemaDraft::kDraft07 : JsonSchemaDraft::k2020_12;
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(root + "/" + draft)) {
      if (e.path().extension() == ".json") files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      std::ifstream in(file);
      std::stringstream ss;
      ss << in.rdbuf();
      Json doc = Json::parse(ss.str());
      for (const Json& group : doc) {
        ++groups;
        const std::string where = std::string(draft) + "/" + file.filename().string() + ": " +
                                  group["description"].get<std::string>();
        Result<Grammar> g = CompileJsonSchema(group["schema"].dump(), opts);
        if (!g.ok()) {
          // Bucket by the reason's first words (the keyword).
          std::string reason = g.error().message.substr(0, g.error().message.find(':'));
          ++not_compiled[reason];
          continue;
        }
        Result<Parser> p = CompileParser(*g);
        ASSERT_TRUE(p.ok()) << where << ": " << p.error().ToString();
        ++compiled;
        for (const Json& t : group["tests"]) {
          ++tests;
          std::string text;
          Serialize(t["data"], &group["schema"], &text);
          Matcher m(*p);
          const bool accepted = m.AcceptBytes(text) && m.IsComplete();
          if (!t["valid"].get<bool>()) {
            EXPECT_FALSE(accepted) << where << " / " << t["description"] << ": invalid " << text << " accepted";
            invalid_rejected += !accepted;
            continue;
          }
          if (accepted) {
            ++valid_accepted;
            continue;
          }
          std::string reason = SpellingReason(t["data"]);
          const std::string desc = t["description"].get<std::string>();
          if (desc.find("only an annotation") != std::string::npos) {
            reason = "format asserted (steer enforces the formats it supports)";
          }
          if (file.filename() == "vocabulary.json") reason = "custom metaschema vocabulary";
          EXPECT_FALSE(reason.empty()) << where << " / " << t["description"] << ": valid " << text << " rejected";
          ++valid_rejected[reason.empty() ? "unexplained" : reason];
        }
      }
    }
  }
  std::printf("suite: %d schema groups, %d compiled, %d tests on them: %d valid accepted, %d invalid rejected\n",
              groups, compiled, tests, valid_accepted, invalid_rejected);
  for (const auto& [r, n] : valid_rejected) std::printf("  valid rejected (%s): %d\n", r.c_str(), n);
  for (const auto& [r, n] : not_compiled) std::printf("  not compiled (%s): %d\n", r.c_str(), n);
  EXPECT_GT(compiled, 300);
}

}  // namespace
}  // namespace steer::grammar
