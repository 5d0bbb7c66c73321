"""--tokenizer_json PATH (repeatable): tokenizer.json files for the parity test to compare."""


def pytest_addoption(parser):
    parser.addoption("--tokenizer_json", action="append", default=[], help="a tokenizer.json to compare")
