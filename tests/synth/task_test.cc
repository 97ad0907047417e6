#include "steer/synth/task.h"

#include <gtest/gtest.h>

#include "shared_data.h"

namespace steer::synth {
namespace {

const char* kTask =
    R"({"task_id": "t/0", "prompt": "def f(x):\n", "entry_point": "f", "test": "def check(c):\n    assert c(1) == 2\n"})";

TEST(Tasks, ParsesRequiredAndOptionalFields) {
  std::string text = std::string(kTask) + "\n\n" +
                     R"j({"task_id": "t/1", "prompt": "p", "entry_point": "g", "test": "t", "public_tests": "assert g() == 1", "input_generator": "print([1])"})j";
  auto tasks = ParseTasks(text, "x.jsonl");
  ASSERT_TRUE(tasks.ok()) << tasks.error().ToString();
  ASSERT_EQ(tasks->size(), 2u);
  EXPECT_EQ((*tasks)[0].entry_point, "f");
  EXPECT_EQ((*tasks)[1].public_tests, "assert g() == 1");
  EXPECT_EQ((*tasks)[1].input_generator, "print([1])");
}

TEST(Tasks, ErrorsNameTheLineAndField) {
  auto r = ParseTasks(std::string(kTask) + "\n{\"task_id\": \"a\", \"prompt\": \"p\", \"test\": \"t\"}", "x.jsonl");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().location, "x.jsonl:2");
  EXPECT_NE(r.error().message.find("entry_point"), std::string::npos);
  r = ParseTasks("{not json", "y.jsonl");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().location, "y.jsonl:1");
  r = ParseTasks(R"({"task_id": 3, "prompt": "p", "entry_point": "f", "test": "t"})", "z.jsonl");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().location, "z.jsonl:1: /task_id");
  r = ParseTasks(std::string(kTask) + "\n" + kTask, "d.jsonl");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("duplicate"), std::string::npos);
}

TEST(Samples, IndexCountsPerTaskAndUnknownTasksAreErrors) {
  auto tasks = ParseTasks(std::string(kTask) + "\n" +
                              R"({"task_id": "t/1", "prompt": "p", "entry_point": "g", "test": "t"})",
                          "t.jsonl");
  ASSERT_TRUE(tasks.ok());
  auto samples = ParseSamples(
      "{\"task_id\": \"t/0\", \"completion\": \"a\"}\n{\"task_id\": \"t/1\", \"completion\": \"b\"}\n"
      "{\"task_id\": \"t/0\", \"completion\": \"c\"}\n",
      "s.jsonl", *tasks);
  ASSERT_TRUE(samples.ok());
  ASSERT_EQ(samples->size(), 3u);
  EXPECT_EQ((*samples)[2].index, 1);
  EXPECT_EQ((*samples)[1].index, 0);
  auto bad = ParseSamples("{\"task_id\": \"nope\", \"completion\": \"a\"}", "s.jsonl", *tasks);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().location, "s.jsonl:1: /task_id");
}

TEST(Tasks, LoadsGzippedHumanEval) {
  STEER_REQUIRE_SHARED(path, "humaneval/HumanEval.jsonl.gz");
  auto tasks = LoadTasks(path);
  ASSERT_TRUE(tasks.ok()) << tasks.error().ToString();
  ASSERT_EQ(tasks->size(), 164u);
  EXPECT_EQ((*tasks)[0].task_id, "HumanEval/0");
  EXPECT_EQ((*tasks)[0].entry_point, "has_close_elements");
  EXPECT_EQ((*tasks)[163].task_id, "HumanEval/163");
  for (const Task& t : *tasks) EXPECT_FALSE(t.canonical_solution.empty()) << t.task_id;
}

TEST(Tasks, CorruptGzipIsAnError) {
  std::string dir = ::steer::testing::TempDir();
  std::string path = dir + "/bad.jsonl.gz";
  std::string bytes = "\x1f\x8b\x08\x00garbage";
  FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
  auto r = LoadTasks(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("gzip"), std::string::npos);
}

}  // namespace
}  // namespace steer::synth
