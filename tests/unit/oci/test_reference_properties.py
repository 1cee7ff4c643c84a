"""Property tests for image and layout references (hypothesis)."""

from __future__ import annotations

import string

from hypothesis import assume, given
from hypothesis import strategies as st

from harborsec.errors import InvalidReferenceError
from harborsec.oci._reference import ImageReference, LayoutReference, parse_reference

# --- strategies for valid parts, written from the grammar --------------------------------------

label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
mixed_label = st.from_regex(r"[a-zA-Z0-9]([a-zA-Z0-9-]{0,8}[a-zA-Z0-9])?", fullmatch=True)
port = st.integers(min_value=0, max_value=99999).map(lambda p: f":{p}")
optional_port = st.one_of(st.just(""), port)
ipv4 = st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t)))
ipv6 = st.from_regex(r"\[[0-9a-f]{1,4}(:[0-9a-f]{0,4}){1,7}\]", fullmatch=True)

registry = st.one_of(
    # a dotted host name (uppercase allowed in host labels)
    st.builds(lambda labels, p: ".".join(labels) + p, st.lists(mixed_label, min_size=2, max_size=4),
              optional_port),
    # a single label needs a port to be read as a registry
    st.builds(lambda host, p: host + p, label, port),
    st.builds(lambda p: "localhost" + p, optional_port),
    st.builds(lambda host, p: host + p, ipv4, optional_port),
    st.builds(lambda host, p: host + p, ipv6, optional_port),
    # Docker's rule: a first component with an uppercase letter is a registry
    mixed_label.filter(lambda s: s.lower() != s),
    st.sampled_from(["docker.io", "index.docker.io", "ghcr.io", "harbor.example.com"]),
)  # fmt: skip

component = st.from_regex(r"[a-z0-9]{1,6}(([._]|__|-{1,3})[a-z0-9]{1,6}){0,3}", fullmatch=True)
repository = st.lists(component, min_size=1, max_size=4).map("/".join)
tag = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}", fullmatch=True)
hex_digits = "0123456789abcdef"
digest = st.one_of(
    st.text(hex_digits, min_size=64, max_size=64).map(lambda h: f"sha256:{h}"),
    st.text(hex_digits, min_size=128, max_size=128).map(lambda h: f"sha512:{h}"),
)
optional_tag = st.one_of(st.none(), tag)
optional_digest = st.one_of(st.none(), digest)


def render(reg: str | None, repo: str, tg: str | None, dg: str | None) -> str:
    text = repo if reg is None else f"{reg}/{repo}"
    if tg is not None:
        text += f":{tg}"
    if dg is not None:
        text += f"@{dg}"
    return text


def expected_for(reg: str, repo: str) -> tuple[str, str]:
    """Docker's normalisation, stated independently of the parser."""
    if reg == "index.docker.io":
        reg = "docker.io"
    if reg == "docker.io" and "/" not in repo:
        repo = "library/" + repo
    return reg, repo


@given(registry, repository, optional_tag, optional_digest)
def test_qualified_references_parse_to_their_parts(
    reg: str, repo: str, tg: str | None, dg: str | None
) -> None:
    text = render(reg, repo, tg, dg)
    ref = ImageReference.parse(text)
    exp_registry, exp_repository = expected_for(reg, repo)
    assert (ref.registry, ref.repository, ref.tag, ref.digest) == (
        exp_registry,
        exp_repository,
        tg,
        dg,
    )
    if (exp_registry, exp_repository) == (reg, repo):
        assert str(ref) == text
    assert ImageReference.parse(str(ref)) == ref
    assert ref.reference == (dg or tg or "latest")


@given(repository, optional_tag, optional_digest)
def test_familiar_references_are_on_docker_hub(repo: str, tg: str | None, dg: str | None) -> None:
    first = repo.split("/")[0]
    # a first component with a "." (or "localhost") would be a registry
    assume("/" not in repo or ("." not in first and first != "localhost"))
    ref = ImageReference.parse(render(None, repo, tg, dg))
    assert ref.registry == "docker.io"
    assert ref.repository == (repo if "/" in repo else f"library/{repo}")
    assert ImageReference.parse(str(ref)) == ref


@given(registry, repository, optional_tag, optional_digest)
def test_default_registry_applies_to_unqualified_references(
    default: str, repo: str, tg: str | None, dg: str | None
) -> None:
    first = repo.split("/")[0]
    assume("/" not in repo or ("." not in first and first != "localhost"))
    ref = ImageReference.parse(render(None, repo, tg, dg), default_registry=default)
    exp_registry, exp_repository = expected_for(default, repo)
    assert (ref.registry, ref.repository) == (exp_registry, exp_repository)
    # the canonical form names the same registry, so it is accepted
    assert ImageReference.parse(str(ref), default_registry=default) == ref
    assert ImageReference.parse(str(ref)) == ref


reference_alphabet = string.ascii_letters + string.digits + "._-/:@[]" + "!é $%"


@given(st.one_of(st.text(), st.text(reference_alphabet, max_size=80)))
def test_arbitrary_text_only_raises_invalid_reference(text: str) -> None:
    try:
        ref = ImageReference.parse(text)
    except InvalidReferenceError:
        return
    # whatever parses is normalised already: parsing its canonical form changes nothing
    again = ImageReference.parse(str(ref))
    assert again == ref
    assert str(again) == str(ref)


@given(st.one_of(st.text(), st.text(reference_alphabet, max_size=80)), st.booleans())
def test_parse_reference_only_raises_invalid_reference(text: str, layout: bool) -> None:
    if layout:
        text = "oci:" + text
    try:
        ref = parse_reference(text)
    except InvalidReferenceError:
        return
    assert isinstance(ref, LayoutReference) == text.startswith("oci:")
    assert parse_reference(str(ref)) == ref


@given(st.one_of(st.text(), st.text(reference_alphabet, max_size=60)), optional_tag,
       optional_digest)  # fmt: skip
def test_layout_references_read_back_or_are_refused(
    path: str, tg: str | None, dg: str | None
) -> None:
    try:
        ref = LayoutReference(path, tg, dg)
    except InvalidReferenceError:
        return
    assert LayoutReference.parse(str(ref)) == ref
    assert str(ref).startswith("oci:" + path)


@given(repository.filter(lambda r: "." not in r), optional_tag, optional_digest)
def test_plain_layout_paths_always_work(path: str, tg: str | None, dg: str | None) -> None:
    ref = LayoutReference(f"/var/lib/{path}", tg, dg)
    assert LayoutReference.parse(str(ref)) == ref
