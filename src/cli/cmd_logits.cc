// steer logits: the model's raw logits after a prompt.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "command.h"
#include "lm_common.h"

namespace steer::cli {
namespace {

struct LogitsOptions {
  ModelArgs model;
  PromptArgs prompt;
  bool all_positions = false;
  bool json = false;
};

int RunLogits(const LogitsOptions& o) {
  auto session = OpenSession(o.model);
  if (!session.ok()) return ReportError("logits", session.error());
  engine::Engine& engine = *session->engine;
  auto tokens = PromptTokens(*session, o.prompt);
  if (!tokens.ok()) return ReportError("logits", tokens.error());
  const SeqId seq = engine.NewSequence();
  engine::Batch batch;
  for (size_t i = 0; i < tokens->size(); ++i) {
    batch.Add((*tokens)[i], static_cast<Pos>(i), seq, o.all_positions || i + 1 == tokens->size());
  }
  Status st = engine.Decode(batch);
  if (!st.ok()) return ReportError("logits", st.error());

  if (o.json) {
    nlohmann::json out;
    out["tokens"] = *tokens;
    auto row = [&](int32_t i) {
      std::span<const float> l = engine.Logits(i);
      return nlohmann::json(std::vector<float>(l.begin(), l.end()));
    };
    if (o.all_positions) {
      out["logits"] = nlohmann::json::array();
      for (int32_t i = 0; i < engine.num_logits(); ++i) out["logits"].push_back(row(i));
    } else {
      out["logits"] = row(0);
    }
    std::printf("%s\n", out.dump().c_str());
    return 0;
  }
  // Human-readable: the 10 largest logits of each requested row.
  for (int32_t i = 0; i < engine.num_logits(); ++i) {
    std::span<const float> l = engine.Logits(i);
    std::vector<int32_t> ids(l.size());
    for (size_t t = 0; t < ids.size(); ++t) ids[t] = static_cast<int32_t>(t);
    const size_t k = std::min<size_t>(10, ids.size());
    std::partial_sort(ids.begin(), ids.begin() + k, ids.end(), [&](int32_t a, int32_t b) { return l[a] > l[b]; });
    const size_t pos = o.all_positions ? i : tokens->size() - 1;
    std::printf("position %zu (token %d):", pos, (*tokens)[pos]);
    for (size_t j = 0; j < k; ++j) std::printf(" %d:%.4f", ids[j], l[ids[j]]);
    std::printf("\n");
  }
  return 0;
}

}  // namespace

void AddLogitsCommand(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<LogitsOptions>();
  auto* cmd = app.add_subcommand("logits", "Print the logits after a prompt (or at every prompt position)");
  AddModelOptions(cmd, o->model);
  AddPromptOptions(cmd, o->prompt);
  cmd->add_flag("--all-positions", o->all_positions, "A row of logits for every prompt position");
  cmd->add_flag("--json", o->json, "Print {\"tokens\":[...],\"logits\":[...]}");
  cmd->callback([o, &ctx]() { ctx.exit_code = RunLogits(*o); });
}

}  // namespace steer::cli
