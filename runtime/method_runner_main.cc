// method_runner: runs any ExecuTorch program (--model PATH.pte).
#include "runtime/runners.h"

int main(int argc, char** argv) { return rules_executorch::MethodRunnerMain(argc, argv, {}); }
