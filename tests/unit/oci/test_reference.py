"""Image and layout references: the grammar, Docker normalisation and error messages."""

from __future__ import annotations

import pytest

from harborsec.errors import InvalidReferenceError
from harborsec.oci._reference import ImageReference, LayoutReference, parse_reference

SHA256 = "sha256:" + "f" * 64
SHA256_B = "sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c"
SHA512 = "sha512:" + "f" * 128

# (input, registry, repository, tag, digest) with Docker's normalisation (no default registry).
VALID = [
    # familiar Docker Hub names
    ("ubuntu", "docker.io", "library/ubuntu", None, None),
    ("ubuntu:24.04", "docker.io", "library/ubuntu", "24.04", None),
    ("redis:latest", "docker.io", "library/redis", "latest", None),
    (f"redis@{SHA256_B}", "docker.io", "library/redis", None, SHA256_B),
    (f"busybox:latest@{SHA256_B}", "docker.io", "library/busybox", "latest", SHA256_B),
    ("dmcgowan/myapp", "docker.io", "dmcgowan/myapp", None, None),
    ("docker/docker", "docker.io", "docker/docker", None, None),
    ("library/foo/bar", "docker.io", "library/foo/bar", None, None),
    ("store/foo/bar", "docker.io", "store/foo/bar", None, None),
    ("other/library", "docker.io", "other/library", None, None),
    ("test_com", "docker.io", "library/test_com", None, None),
    ("test_com/foo", "docker.io", "test_com/foo", None, None),
    ("dbcc1", "docker.io", "library/dbcc1", None, None),
    # 63 hex digits is a name; 64 alone would be an image ID
    ("a" * 63, "docker.io", "library/" + "a" * 63, None, None),
    ("docker.io/" + "1a" * 32, "docker.io", "library/" + "1a" * 32, None, None),
    ("thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev", "docker.io",
     "library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev", None, None),
    # Docker Hub spellings
    ("docker.io/ubuntu", "docker.io", "library/ubuntu", None, None),
    ("docker.io/library/ubuntu", "docker.io", "library/ubuntu", None, None),
    ("index.docker.io/debian", "docker.io", "library/debian", None, None),
    ("index.docker.io/docker/docker", "docker.io", "docker/docker", None, None),
    ("index.docker.io/fooo/bar", "docker.io", "fooo/bar", None, None),
    ("docker.io/library/foo/bar", "docker.io", "library/foo/bar", None, None),
    # one component with a dot or a port is still a Docker Hub name plus a tag
    ("test.com:tag", "docker.io", "library/test.com", "tag", None),
    ("test.com:5000", "docker.io", "library/test.com", "5000", None),
    ("foo_bar.com:8080", "docker.io", "library/foo_bar.com", "8080", None),
    ("192.168.1.1", "docker.io", "library/192.168.1.1", None, None),
    ("192.168.1.1:5000", "docker.io", "library/192.168.1.1", "5000", None),
    ("localhost", "docker.io", "library/localhost", None, None),
    ("localhost:5000", "docker.io", "library/localhost", "5000", None),
    ("foo/foo_bar.com:8080", "docker.io", "foo/foo_bar.com", "8080", None),
    # registries
    ("test.com/repo:tag", "test.com", "repo", "tag", None),
    ("test:5000/repo", "test:5000", "repo", None, None),
    ("test:5000/repo:tag", "test:5000", "repo", "tag", None),
    (f"test:5000/repo@{SHA256}", "test:5000", "repo", None, SHA256),
    (f"test:5000/repo:tag@{SHA256}", "test:5000", "repo", "tag", SHA256),
    ("test-com:8080/foo", "test-com:8080", "foo", None, None),
    ("localhost/app", "localhost", "app", None, None),
    ("localhost:5000/app:v1", "localhost:5000", "app", "v1", None),
    ("sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com", "bar/baz/quux", None, None),
    ("sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com", "bar/baz/quux",
     "some-long-tag", None),
    ("b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io", "test.example.com/my-app",
     "test.example.com", None),
    ("xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com", "myimage", "xn--n3h.com", None),
    (f"xn--7o8h.com/myimage:xn--7o8h.com@{SHA512}", "xn--7o8h.com", "myimage", "xn--7o8h.com",
     SHA512),
    ("xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo", None, None),
    ("192.168.1.1/repo", "192.168.1.1", "repo", None, None),
    ("192.168.1.1:5000/repo:5050", "192.168.1.1:5000", "repo", "5050", None),
    ("127.0.0.1:5000/library/debian", "127.0.0.1:5000", "library/debian", None, None),
    ("127.0.0.1:5000/debian", "127.0.0.1:5000", "debian", None, None),
    ("192.168.0.1:8/debian", "192.168.0.1:8", "debian", None, None),
    ("example.com/privatebase", "example.com", "privatebase", None, None),
    ("example.com:8000/private/moonbase", "example.com:8000", "private/moonbase", None, None),
    ("ghcr.io/org/team/app:1.0", "ghcr.io", "org/team/app", "1.0", None),
    # IPv6 in brackets
    ("[2001:db8::1]/repo", "[2001:db8::1]", "repo", None, None),
    ("[2001:db8:1:2:3:4:5:6]/repo:tag", "[2001:db8:1:2:3:4:5:6]", "repo", "tag", None),
    ("[2001:db8::1]:5000/repo", "[2001:db8::1]:5000", "repo", None, None),
    (f"[2001:db8::1]:5000/repo:tag@{SHA256}", "[2001:db8::1]:5000", "repo", "tag", SHA256),
    ("[2001:db8::]:5000/repo", "[2001:db8::]:5000", "repo", None, None),
    ("[::1]:5000/repo", "[::1]:5000", "repo", None, None),
    ("[fc00::1]:5000/docker/docker", "[fc00::1]:5000", "docker/docker", None, None),
    # Docker's rule: an uppercase first component is a registry host
    ("Docker/docker", "Docker", "docker", None, None),
    ("DOCKER/docker", "DOCKER", "docker", None, None),
    ("Foo/bar", "Foo", "bar", None, None),
    # separators in path components
    ("docker-rules/docker", "docker.io", "docker-rules/docker", None, None),
    ("docker---rules/docker", "docker.io", "docker---rules/docker", None, None),
    ("dock__er/docker", "docker.io", "dock__er/docker", None, None),
    ("d/docker", "docker.io", "d/docker", None, None),
    ("jess/t", "docker.io", "jess/t", None, None),
    ("org/a.b_c--d", "docker.io", "org/a.b_c--d", None, None),
    # tags
    ("lowercase:Uppercase", "docker.io", "library/lowercase", "Uppercase", None),
    ("app:_underscore", "docker.io", "library/app", "_underscore", None),
    ("app:" + "t" * 128, "docker.io", "library/app", "t" * 128, None),
    # repository length: 255 is the limit (the registry does not count)
    ("a/" * 127 + "a:tag-puts-this-over-max", "docker.io", "a/" * 127 + "a",
     "tag-puts-this-over-max", None),
    ("example.com/" + "a/" * 127 + "a", "example.com", "a/" * 127 + "a", None, None),
    # other registered digest algorithms
    ("app@sha384:" + "a" * 96, "docker.io", "library/app", None, "sha384:" + "a" * 96),
    ("app@blake3:" + "a" * 64, "docker.io", "library/app", None, "blake3:" + "a" * 64),
]  # fmt: skip


@pytest.mark.parametrize(("text", "registry", "repository", "tag", "digest"), VALID)
def test_valid_references(
    text: str, registry: str, repository: str, tag: str | None, digest: str | None
) -> None:
    ref = ImageReference.parse(text)
    assert ref == ImageReference(registry, repository, tag, digest)
    assert ref.name == f"{registry}/{repository}"
    # the canonical form reads back to the same reference, and is stable
    assert ImageReference.parse(str(ref)) == ref
    assert str(ImageReference.parse(str(ref))) == str(ref)
    assert parse_reference(text) == ref


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("ubuntu", "docker.io/library/ubuntu"),
        ("redis:latest", "docker.io/library/redis:latest"),
        (f"busybox:latest@{SHA256_B}", f"docker.io/library/busybox:latest@{SHA256_B}"),
        ("index.docker.io/library/ubuntu-12.04-base", "docker.io/library/ubuntu-12.04-base"),
        ("docker.io/foo", "docker.io/library/foo"),
        ("[::1]:5000/app@" + SHA256, "[::1]:5000/app@" + SHA256),
    ],
)
def test_str_is_the_canonical_form(text: str, canonical: str) -> None:
    assert str(ImageReference.parse(text)) == canonical


# (input, a fragment the error message must contain)
INVALID = [
    ("", "reference is empty"),
    (" ", "whitespace"),
    ("ubuntu ", "position 6"),
    ("\tubuntu", "position 0"),
    ("ubu ntu", "whitespace"),
    ("ubuntu\n", "whitespace"),
    ("ubuntu\x00", "control character"),
    (":justtag", "no repository name"),
    ("@" + SHA256, "no repository name"),
    ("ubuntu:", '":" must be followed by a tag'),
    ("ubuntu@", 'ends with "@"'),
    (f"ubuntu:@{SHA256}", '":" must be followed by a tag'),
    ("repo@sha256:ffffffffffffffffffffffffffffffffff", "must have 64 hex digits, not 34"),
    ("repo@sha256:abc", 'digest "sha256:abc" must have 64 hex digits'),
    ("repo@sha256:" + "f" * 65, "must have 64 hex digits, not 65"),
    ("repo@sha256:" + "F" * 64, "lowercase hex"),
    ("repo@sha256:" + "g" * 64, "must have 64 hex digits"),
    ("repo@sha512:" + "f" * 64, "must have 128 hex digits"),
    ("repo@sha256", 'expected "algorithm:hex"'),
    ("repo@:" + "f" * 64, "is not a digest algorithm"),
    ("repo@1sha:" + "f" * 64, "is not a digest algorithm"),
    ("validname@invaliddigest:" + "f" * 64, 'unsupported digest algorithm "invaliddigest"'),
    ("repo@SHA256:" + "f" * 64, "unsupported digest algorithm"),
    ("repo@md5:" + "f" * 31, "at least 32 hex digits"),
    ("repo@" + SHA256 + "@" + SHA256, "digest"),
    ("Uppercase:tag", "repository name must be lowercase"),
    ("UPPER", "repository name must be lowercase"),
    ("docker/Docker", "repository name must be lowercase"),
    ("test:5000/Uppercase/lowercase:tag", "repository name must be lowercase"),
    ("docker.io/docker/Docker", "repository name must be lowercase"),
    ("a/" * 128 + "a:tag", "must not be more than 255 characters"),
    ("example.com/" + "a" * 256, "must not be more than 255 characters"),
    ("_".join(["this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255"] * 4)
     + "/docker",
     "must not be more than 255 characters"),
    ("aa/asdf$$^/aa", 'invalid path component "asdf$$^"'),
    ("-docker", 'invalid path component "-docker"'),
    ("-docker/docker", 'invalid path component "-docker"'),
    ("docker-/docker", 'invalid path component "docker-"'),
    ("-docker-/docker", 'invalid path component "-docker-"'),
    ("____/____", 'invalid path component "____"'),
    ("_docker/_docker", 'invalid path component "_docker"'),
    ("org/dock..er", 'invalid path component "dock..er"'),
    ("org/dock_.er", 'invalid path component "dock_.er"'),
    ("org/dock-.er", 'invalid path component "dock-.er"'),
    # with a "." the first component is a registry host, where "_" and ".." are not allowed
    ("dock..er/docker", 'invalid registry "dock..er"'),
    ("dock_.er/docker", 'invalid registry "dock_.er"'),
    ("dock-.er/docker", 'invalid registry "dock-.er"'),
    ("dock___er/docker", 'invalid path component "dock___er"'),
    ("docker/", "empty path component"),
    ("docker///docker", "empty path component"),
    ("docker.io/docker///docker", "empty path component"),
    ("example.com/", 'no repository name after registry "example.com"'),
    ("-docker.io/docker/docker", 'invalid registry "-docker.io"'),
    ("exa_mple.com/app", 'invalid registry "exa_mple.com"'),
    ("example.com:port/app", 'invalid registry "example.com:port"'),
    ("Foo_Bar/app", 'invalid registry "Foo_Bar"'),
    ("https://github.com/docker/docker", "no URL scheme"),
    ("docker://ghcr.io/org/app", "no URL scheme"),
    ("1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a", "image ID"),
    ("[2001:db8::1]", 'must be followed by "/" and a repository name'),
    ("[2001:db8::1]:5000", 'must be followed by "/" and a repository name'),
    ("[2001:db8::1]:tag", 'must be followed by "/" and a repository name'),
    ("[fe80::1%eth0]:5000/repo", 'invalid registry "[fe80::1%eth0]:5000"'),
    ("[fe80::1%@invalidzone]:5000/repo", "invalid"),
    ("[2001:db8:3:4::192.0.2.33]:5000/debian", "invalid registry"),
    ("fc00::1:5000/debian", 'invalid registry "fc00::1:5000"'),
    ("app:-tag", 'invalid tag "-tag"'),
    ("app:.tag", 'invalid tag ".tag"'),
    ("app:x!", 'invalid tag "x!"'),
    ("app:" + "t" * 129, "longer than 128 characters"),
    ("app:tag/x", "invalid"),
    ("ubüntu", "invalid path component"),
    ("app:täg", "invalid tag"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "fragment"), INVALID)
def test_invalid_references(text: str, fragment: str) -> None:
    with pytest.raises(InvalidReferenceError) as info:
        ImageReference.parse(text)
    message = str(info.value)
    assert fragment in message
    assert isinstance(info.value, ValueError)
    if text:
        # the message says which reference was wrong (long ones are shortened)
        assert message.startswith('invalid reference "')


def test_long_input_is_shortened_in_the_message() -> None:
    with pytest.raises(InvalidReferenceError) as info:
        ImageReference.parse("A" * 10_000)
    assert len(str(info.value)) < 600


def test_non_string_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        ImageReference.parse(b"ubuntu")  # type: ignore[arg-type]


# --- the client's own registry -----------------------------------------------------------------

HARBOR = "harbor.example.com"


@pytest.mark.parametrize(
    ("text", "default", "expected"),
    [
        ("project/app:1", HARBOR, ImageReference(HARBOR, "project/app", "1")),
        ("project/team/app", HARBOR, ImageReference(HARBOR, "project/team/app")),
        ("app", HARBOR, ImageReference(HARBOR, "app")),
        ("library/app", HARBOR, ImageReference(HARBOR, "library/app")),
        (f"project/app@{SHA256}", HARBOR, ImageReference(HARBOR, "project/app", None, SHA256)),
        ("harbor.example.com/project/app:1", HARBOR, ImageReference(HARBOR, "project/app", "1")),
        ("Harbor.Example.COM/project/app", HARBOR, ImageReference(HARBOR, "project/app")),
        ("p/app", "127.0.0.1:5000", ImageReference("127.0.0.1:5000", "p/app")),
        ("127.0.0.1:5000/p/app", "127.0.0.1:5000", ImageReference("127.0.0.1:5000", "p/app")),
        ("[::1]:5000/p/app", "[::1]:5000", ImageReference("[::1]:5000", "p/app")),
        ("localhost:5000/app", "localhost:5000", ImageReference("localhost:5000", "app")),
        # Docker Hub keeps its library/ rule whichever way it is named
        ("ubuntu", "docker.io", ImageReference("docker.io", "library/ubuntu")),
        ("ubuntu", "index.docker.io", ImageReference("docker.io", "library/ubuntu")),
        ("index.docker.io/ubuntu", "docker.io", ImageReference("docker.io", "library/ubuntu")),
    ],
)
def test_default_registry(text: str, default: str, expected: ImageReference) -> None:
    ref = ImageReference.parse(text, default_registry=default)
    assert ref == expected
    assert parse_reference(text, default_registry=default) == expected
    # the canonical form names the registry, so it reads back the same with or without default
    assert ImageReference.parse(str(ref), default_registry=default) == ref
    assert ImageReference.parse(str(ref)) == ref


@pytest.mark.parametrize(
    ("text", "default", "fragment"),
    [
        ("ghcr.io/org/app", HARBOR, 'names registry "ghcr.io", but the registry here is'),
        ("harbor.example.com:443/p/app", HARBOR, 'names registry "harbor.example.com:443"'),
        ("localhost:5000/app", "localhost:5001", 'names registry "localhost:5000"'),
        ("docker.io/library/ubuntu", HARBOR, 'names registry "docker.io"'),
        ("Project/app", HARBOR, "repository names must be lowercase"),
        ("project/App", HARBOR, "repository name must be lowercase"),
        ("project/app:", HARBOR, '":" must be followed by a tag'),
    ],
)
def test_default_registry_refusals(text: str, default: str, fragment: str) -> None:
    with pytest.raises(InvalidReferenceError, match="invalid reference") as info:
        ImageReference.parse(text, default_registry=default)
    assert fragment in str(info.value)


@pytest.mark.parametrize("default", ["", "bad host", "https://harbor.example.com", "a/b"])
def test_bad_default_registry(default: str) -> None:
    with pytest.raises(InvalidReferenceError, match="default_registry"):
        ImageReference.parse("project/app", default_registry=default)


# --- properties and copies ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        (ImageReference("docker.io", "library/ubuntu"), "latest"),
        (ImageReference("docker.io", "library/ubuntu", "24.04"), "24.04"),
        (ImageReference("docker.io", "library/ubuntu", None, SHA256), SHA256),
        (ImageReference("docker.io", "library/ubuntu", "24.04", SHA256), SHA256),
    ],
)
def test_reference_property(ref: ImageReference, expected: str) -> None:
    assert ref.reference == expected


def test_with_digest_and_with_tag() -> None:
    ref = ImageReference.parse("ghcr.io/org/app:1.0")
    pinned = ref.with_digest(SHA256)
    assert pinned == ImageReference("ghcr.io", "org/app", "1.0", SHA256)
    assert str(pinned) == f"ghcr.io/org/app:1.0@{SHA256}"
    assert ref.tag == "1.0"
    assert ref.digest is None  # the original is unchanged
    assert pinned.with_tag(None) == ImageReference("ghcr.io", "org/app", None, SHA256)
    assert pinned.with_tag("2.0").digest == SHA256
    assert ref.with_tag("2.0").reference == "2.0"
    with pytest.raises(InvalidReferenceError, match="must have 64 hex digits"):
        ref.with_digest("sha256:abc")
    with pytest.raises(InvalidReferenceError, match='invalid tag "-x"'):
        ref.with_tag("-x")


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"registry": "", "repository": "app"}, "registry is empty"),
        ({"registry": "bad host", "repository": "app"}, "invalid registry"),
        ({"registry": "docker.io", "repository": ""}, "repository name is empty"),
        ({"registry": "docker.io", "repository": "App"}, "must be lowercase"),
        ({"registry": "docker.io", "repository": "a" * 256}, "255"),
        ({"registry": "docker.io", "repository": "app", "tag": ""}, "tag is empty"),
        ({"registry": "docker.io", "repository": "app", "digest": "sha256:0"}, "64 hex"),
    ],
)
def test_constructor_validates(kwargs: dict[str, str], fragment: str) -> None:
    with pytest.raises(InvalidReferenceError, match=fragment):
        ImageReference(**kwargs)


def test_image_reference_is_frozen_and_hashable() -> None:
    ref = ImageReference.parse("ubuntu")
    with pytest.raises(AttributeError):
        ref.tag = "x"  # type: ignore[misc]
    assert {ref, ImageReference.parse("docker.io/library/ubuntu")} == {ref}


# --- OCI layouts -------------------------------------------------------------------------------

LAYOUTS = [
    ("oci:dir", "dir", None, None),
    ("oci:./layout", "./layout", None, None),
    ("oci:/tmp/layout:v1", "/tmp/layout", "v1", None),
    ("oci:dir:1.0.0-rc_1", "dir", "1.0.0-rc_1", None),
    (f"oci:dir@{SHA256}", "dir", None, SHA256),
    (f"oci:dir:v1@{SHA256}", "dir", "v1", SHA256),
    (f"oci:/a/b@{SHA512}", "/a/b", None, SHA512),
    # a ":" is part of the path unless what follows is a valid tag
    ("oci:/data/a:b/c", "/data/a:b/c", None, None),
    ("oci:C:\\images", "C:\\images", None, None),
    ("oci:C:\\images:v2", "C:\\images", "v2", None),
    ("oci:/data/a:b/c:v1", "/data/a:b/c", "v1", None),
    ("oci:dir:tag:v1", "dir:tag", "v1", None),
    # an "@" without ":" after it is part of the path
    ("oci:dir@backup", "dir@backup", None, None),
    ("oci:a@b/c", "a@b/c", None, None),
    ("oci:my layouts/app", "my layouts/app", None, None),
]


@pytest.mark.parametrize(("text", "path", "tag", "digest"), LAYOUTS)
def test_layout_references(text: str, path: str, tag: str | None, digest: str | None) -> None:
    ref = parse_reference(text)
    assert ref == LayoutReference(path, tag, digest)
    assert LayoutReference.parse(text) == ref
    assert str(ref) == text
    assert LayoutReference.parse(str(ref)) == ref


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("oci:", "the layout path is empty"),
        ("oci::v1", "the layout path is empty"),
        (f"oci:@{SHA256}", "the layout path is empty"),
        ("oci:dir:", '":" must be followed by a tag'),
        ("oci:dir@", 'ends with "@"'),
        ("oci:dir@sha256:abc", 'digest "sha256:abc" must have 64 hex digits'),
        ("oci:dir@md5:abc", "invalid digest"),
        ("oci: dir", "starts or ends with whitespace"),
        ("oci:dir\n", "whitespace"),
        ("oci:di\x00r", "control character"),
    ],
)
def test_invalid_layout_references(text: str, fragment: str) -> None:
    with pytest.raises(InvalidReferenceError, match="invalid reference") as info:
        parse_reference(text)
    assert fragment in str(info.value)


def test_layout_parse_needs_the_prefix() -> None:
    with pytest.raises(InvalidReferenceError, match='starts with "oci:"'):
        LayoutReference.parse("dir:v1")


def test_layout_reference_property() -> None:
    assert LayoutReference("dir").reference == "latest"
    assert LayoutReference("dir", "v1").reference == "v1"
    assert LayoutReference("dir", "v1", SHA256).reference == SHA256


@pytest.mark.parametrize(
    ("path", "tag", "digest"),
    [
        ("a:b", None, None),  # would read back as path "a", tag "b"
        ("a:b", None, SHA256),
        ("a:", None, None),
        ("x@sha:y", "v1", None),
        ("", None, None),
    ],
)
def test_layout_constructor_refuses_ambiguous_paths(
    path: str, tag: str | None, digest: str | None
) -> None:
    with pytest.raises(InvalidReferenceError):
        LayoutReference(path, tag, digest)


def test_layout_constructor_accepts_paths_made_unambiguous_by_a_tag() -> None:
    ref = LayoutReference("a:b", "v1")
    assert str(ref) == "oci:a:b:v1"
    assert LayoutReference.parse(str(ref)) == ref


def test_parse_reference_dispatches() -> None:
    assert isinstance(parse_reference("oci:dir"), LayoutReference)
    assert isinstance(parse_reference("oci/app"), ImageReference)
    assert isinstance(parse_reference("docker.io/library/oci:1"), ImageReference)
    with pytest.raises(InvalidReferenceError, match="reference is empty"):
        parse_reference("")
