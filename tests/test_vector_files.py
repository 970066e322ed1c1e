"""Table files are read whole or refused: a `.vec` file's header count must
equal the rows read, and a value that is not finite (NaN, inf, or beyond
float32) is refused naming the file and row, in `.vec` and `.npy` files."""

import numpy as np
import pytest

from tf_dynemb.layers import DynamicEmbedding
from tf_dynemb.vectors import load_text_vectors


@pytest.mark.parametrize("text, message", [
    ("3 2\nalpha 1 2\nbeta 3 4\n", r"v.vec: the header promises 3 vectors; the file holds 2"),
    ("1 2\nalpha 1 2\nbeta 3 4\n", r"v.vec:3: the header promises 1 vectors; the file holds more"),
])
def test_header_count_must_match(tmp_path, text, message):
    (tmp_path / "v.vec").write_text(text)
    with pytest.raises(ValueError, match=message):
        load_text_vectors(str(tmp_path / "v.vec"))


def test_a_truncated_file_is_an_error_even_with_max_words(tmp_path):
    (tmp_path / "v.vec").write_text("5 2\nalpha 1 2\nbeta 3 4\n")
    assert load_text_vectors(str(tmp_path / "v.vec"), max_words=2)[0] == ["alpha", "beta"]
    with pytest.raises(ValueError, match="promises 5 vectors; the file holds 2"):
        load_text_vectors(str(tmp_path / "v.vec"), max_words=3)


def test_a_whole_file_with_its_header_loads(tmp_path):
    (tmp_path / "v.vec").write_text("2 2\nalpha 1 2\nbeta 3 4\n\n")
    words, matrix = load_text_vectors(str(tmp_path / "v.vec"))
    assert words == ["alpha", "beta"] and matrix.tolist() == [[1, 2], [3, 4]]


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf, 1e39])
def test_npy_values_must_be_finite(tmp_path, value):
    matrix = np.ones((3, 2), np.float64)
    matrix[2, 1] = value
    np.save(tmp_path / "m.npy", matrix)
    with pytest.raises(ValueError, match=r"m.npy: row 2 \('gamma'\) holds a value that is not a "
                                         r"finite float32"):
        DynamicEmbedding.from_vectors(str(tmp_path / "m.npy"),
                                      vocabulary=["alpha", "beta", "gamma"])


def test_npy_must_be_numbers(tmp_path):
    np.save(tmp_path / "m.npy", np.array([["a", "b"]]))
    with pytest.raises(ValueError, match=r"m.npy holds <U1 values; expected numbers"):
        DynamicEmbedding.from_vectors(str(tmp_path / "m.npy"), vocabulary=["alpha"])


def test_piece_vectors_must_be_finite(tmp_path):
    (tmp_path / "v.vec").write_text("alpha 1 2\n")
    with pytest.raises(ValueError, match=r"piece_vectors: row 0 \('un'\) holds a value"):
        DynamicEmbedding.from_vectors(str(tmp_path / "v.vec"), wordpiece_vocabulary=["un"],
                                      piece_vectors=np.array([[np.nan, 0.0]]))


@pytest.mark.parametrize("header", ["\u00b2 2", "2 \u0663", "99999999999999999999 2"])
def test_a_header_of_other_digits_is_refused_naming_the_line(tmp_path, header):
    (tmp_path / "v.vec").write_text(f"{header}\nalpha 1 2\nbeta 3 4\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"v\.vec:1: a header `COUNT DIM` must be plain numbers"):
        load_text_vectors(str(tmp_path / "v.vec"))
