"""The app's programs exist and say what they are."""
import hashlib
import json
import unittest


def manifest(name):
    with open(f"app/{name}.json", encoding="utf-8") as f:
        return json.load(f)


class OutputsTest(unittest.TestCase):
    def test_custom_module(self):
        m = manifest("kws")
        self.assertEqual(m["task"], "module")
        self.assertEqual(m["methods"]["forward"]["inputs"], [{"dtype": "float32", "shape": [1, 1, 40, 32]}])
        self.assertEqual(m["methods"]["forward"]["outputs"], [{"dtype": "float32", "shape": [1, 12]}])
        with open("app/kws.pte", "rb") as f:
            self.assertEqual(hashlib.sha256(f.read()).hexdigest(), m["pte"]["sha256"])

    def test_zoo_model(self):
        m = manifest("assistant")
        self.assertEqual(m["task"], "text-generation")
        self.assertEqual(m["metadata"]["get_max_seq_len"], 32)
        with open("app/assistant.tokenizer.json", encoding="utf-8") as f:
            self.assertIn("model", json.load(f))


if __name__ == "__main__":
    unittest.main()
