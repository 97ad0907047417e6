// Test fixture: stories260K as an LM potential plus its tokenizer, for the
// adapter and end-to-end tests (skipped when ../shared is absent).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "steer/engine/engine.h"
#include "steer/grammar/compiled_grammar.h"
#include "steer/grammar/gbnf.h"
#include "steer/potential/grammar.h"
#include "steer/potential/lm.h"
#include "steer/tokenizer/tokenizer.h"
#include "steer/util/check.h"

namespace steer::potential::testing {

struct RealModel {
  std::shared_ptr<engine::Engine> engine;
  std::unique_ptr<tokenizer::Tokenizer> tokenizer;
  std::vector<std::string> token_bytes;

  static RealModel Open(const std::string& path) {
    RealModel m;
    engine::EngineOptions o;
    o.threads = 1;
    auto e = engine::Engine::Open(path, o);
    STEER_CHECK_MSG(e.ok(), e.ok() ? "" : e.error().ToString().c_str());
    m.engine = std::move(e).value();
    auto t = tokenizer::Tokenizer::Load(path);
    STEER_CHECK(t.ok());
    m.tokenizer = std::move(t).value();
    for (TokenId i = 0; i < m.tokenizer->vocab_size(); ++i) {
      m.token_bytes.push_back(m.tokenizer->IsSpecial(i) ? std::string() : m.tokenizer->TokenBytes(i));
    }
    return m;
  }

  std::shared_ptr<LmPotential> Lm(const std::string& prompt) const {
    std::vector<TokenId> ids = {tokenizer->bos()};
    auto enc = tokenizer->Encode(prompt, {});
    STEER_CHECK(enc.ok());
    for (TokenId t : *enc) {
      if (t != tokenizer->bos()) ids.push_back(t);
    }
    return *LmPotential::Create(engine, ids, tokenizer->eos());
  }

  std::shared_ptr<GrammarPotential> Grammar(const std::string& gbnf) const {
    auto g = grammar::ParseGbnf(gbnf);
    STEER_CHECK_MSG(g.ok(), g.ok() ? "" : g.error().ToString().c_str());
    grammar::Vocabulary vocab;
    vocab.token_bytes = token_bytes;
    vocab.eos = tokenizer->eos();
    for (TokenId i = 0; i < tokenizer->vocab_size(); ++i) {
      if (tokenizer->IsSpecial(i) && i != tokenizer->eos()) vocab.special_ids.push_back(i);
    }
    auto c = grammar::CompiledGrammar::Create(*g, std::move(vocab));
    STEER_CHECK_MSG(c.ok(), c.ok() ? "" : c.error().ToString().c_str());
    return std::make_shared<GrammarPotential>(*c);
  }

  std::vector<TokenId> Encode(const std::string& text) const {
    auto enc = tokenizer->Encode(text, {});
    STEER_CHECK(enc.ok());
    std::vector<TokenId> out;
    for (TokenId t : *enc) {
      if (t != tokenizer->bos()) out.push_back(t);
    }
    return out;
  }
};

}  // namespace steer::potential::testing
