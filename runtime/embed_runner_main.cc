// embed_runner: embeds text with any feature-extraction program (--model, --tokenizer).
#include "runtime/runners.h"

int main(int argc, char** argv) { return rules_executorch::EmbedRunnerMain(argc, argv, {}); }
