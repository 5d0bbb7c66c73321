// llm_runner: generates text with any text-generation program (--model, --tokenizer).
#include "runtime/runners.h"

int main(int argc, char** argv) { return rules_executorch::LlmRunnerMain(argc, argv, {}); }
