"""Character classes said as categories must mean what their filters used to say."""

from __future__ import annotations

import sys
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st
from tcbatch_contract.strategies._internal import values as v


def test_space_controls_and_the_separators_are_exactly_what_isspace_calls_whitespace() -> None:
    said = {
        chr(c)
        for c in range(sys.maxunicode + 1)
        if chr(c) in v.SPACE_CONTROLS or unicodedata.category(chr(c)) in v.SEPARATORS
    }
    assert said == {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()}


@settings(max_examples=300)
@given(st.data())
def test_remote_path_hosts_and_tails_hold_no_whitespace(data: st.DataObject) -> None:
    path = data.draw(v.remote_path(directory=False))
    scheme, _, rest = path.partition("://")
    host, _, tail = rest.partition("/")
    assert scheme in v.REMOTE_SCHEMES and host
    assert not any(c.isspace() for c in host + tail)
