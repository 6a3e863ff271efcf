"""Pictures read from other servers: only http(s) images are kept, in the shape we serve."""

from __future__ import annotations

from typing import Any

import pytest

from federation.actors import picture, pictures


def test_picture__mastodons_avatar_is_kept_without_its_extras() -> None:
    icon = {"type": "Image", "mediaType": "image/png", "url": "https://m.example/a.png"}
    assert picture(icon | {"focalPoint": [0, 0]}, described=False) == icon


@pytest.mark.parametrize(
    "value",
    [None, "javascript:alert(1)", {"type": "Image", "url": "file:///etc/passwd"}, [], 42],
)
def test_picture__nothing_usable_is_none(value: Any) -> None:
    assert picture(value) is None


def test_pictures__keeps_four_images_with_alt_text_and_leaves_links_out() -> None:
    # Given a Note's attachments: a link preview, an image, then five more
    image = {
        "type": "Document",
        "mediaType": "image/jpeg",
        "url": "https://m.example/1.jpg",
        "name": "A map",
        "width": 800,
        "height": True,  # not a number
        "blurhash": "UBL_:rOpGG-;~q",
    }
    link = {"type": "Link", "href": "https://m.example/page"}
    more = [image | {"url": f"https://m.example/{n}.jpg"} for n in range(2, 7)]

    # When they are read
    kept = pictures([link, image, *more])

    # Then four images remain, each an Image with its alt text
    assert len(kept) == 4
    assert kept[0] == {
        "type": "Image",
        "url": "https://m.example/1.jpg",
        "mediaType": "image/jpeg",
        "name": "A map",
        "width": 800,
    }
