"""Rewrite README.md's table of covered object limits from object_rules.RULES (checked by
tests/test_object_limits.py::test_the_readme_table_is_generated_from_the_rules)."""

import importlib.util
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RULES_FILE = os.path.join(ROOT, 'genesys_cloud', 'collectors', 'object_rules.py')
MARK = re.compile(r'(<!-- object limits table: generated from object_rules.RULES -->\n)(.*?)(\n<!-- end -->)', re.S)


def main():
    spec = importlib.util.spec_from_file_location('object_rules', RULES_FILE)
    rules = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rules)
    path = os.path.join(ROOT, 'README.md')
    with open(path, encoding='utf-8') as f:
        text = f.read()
    new, found = MARK.subn(lambda m: m.group(1) + rules.readme_table() + m.group(3), text)
    if not found:
        sys.exit('README.md lacks the object limits table markers')
    with open(path, 'w', encoding='utf-8') as f:
        f.write(new)


if __name__ == '__main__':
    main()
