"""docs/security.md points each threat at the tests that show its control: every one of them must exist."""

import re

from devtools.services import REPO_ROOT

DOC = REPO_ROOT / "docs/security.md"
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)?(?:::(\w+))?`")


def referenced_tests():
    """(file, test name or None) for each `path::test`, `path` and `::test` (the last path named in its row)."""
    found = []
    for row in DOC.read_text().splitlines():
        path = None
        for match in REFERENCE.finditer(row):
            path = match.group(1) or path
            if path:
                found.append((path, match.group(2)))
    return found


def test_every_test_the_threat_model_names_exists():
    references = referenced_tests()
    assert len(references) > 40
    missing = []
    for path, name in references:
        source = REPO_ROOT / path
        if not source.is_file() or (name and not re.search(rf"^def {name}\(", source.read_text(), re.M)):
            missing.append(f"{path}::{name}" if name else path)
    assert missing == []
