"""Data for the benchmarks: the real sets in a data folder, and synthetic ones.

The folder is ``--data DIR`` or the ``SKROBUST_DATA`` environment variable
(for example ``../shared/data``); sets whose files are missing are skipped.
"""

import os
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize


def data_dir(arg=None):
    path = arg or os.environ.get("SKROBUST_DATA")
    return Path(path) if path else None


def load_tweets(root):
    """TF-IDF (unigrams and bigrams) of the tweets; y = posted from an iPhone."""
    import pandas as pd

    file = root / "tweets_android_iphone.csv"
    if not file.exists():
        return None
    frame = pd.read_csv(file)
    frame = frame[frame.source.isin(["Twitter for Android", "Twitter for iPhone"])]
    X = TfidfVectorizer(sublinear_tf=True, min_df=2, ngram_range=(1, 2)).fit_transform(
        frame.text
    )
    return X.tocsr(), (frame.source == "Twitter for iPhone").to_numpy().astype(int)


def load_sms(root):
    """TF-IDF (unigrams and bigrams) of the SMS spam collection; y = spam."""
    import pandas as pd

    file = root / "sms_spam" / "sms_spam_collection.tsv"
    if not file.exists():
        return None
    frame = pd.read_csv(file, sep="\t", quoting=3)
    X = TfidfVectorizer(sublinear_tf=True, min_df=2, ngram_range=(1, 2)).fit_transform(
        frame.SMS.astype(str)
    )
    return X.tocsr(), (frame.Label == "spam").to_numpy().astype(int)


def load_keel(root, name):
    """A KEEL set, last column the class; None if absent. Non-numeric
    columns (german's) are one-hot encoded."""
    file = root / "keel" / f"{name}.dat"
    if not file.exists():
        return None
    lines = file.read_text().splitlines()
    rows = np.array(
        [[v.strip() for v in line.split(",")] for line in lines if line.strip()]
    )
    columns = []
    for column in rows[:, :-1].T:
        try:
            columns.append(column.astype(float)[:, None])
        except ValueError:
            columns.append((column[:, None] == np.unique(column)).astype(float))
    return np.hstack(columns), rows[:, -1]


def load_bank_marketing(root):
    """Bank Marketing as the LLP-BP authors preprocessed it: (train, test)
    pairs of 16 standardised features and 0/1 labels; None if absent."""
    folder = root / "bank_marketing"
    if not (folder / "x_train.csv.gz").exists():
        return None

    def read(name):
        return np.loadtxt(folder / f"{name}.csv.gz", delimiter=",", skiprows=1)

    return (read("x_train"), read("y_train").astype(int)), (
        read("x_test"),
        read("y_test").astype(int),
    )


def make_text(n_samples, n_words=50_000, words_per_doc=50, seed=0):
    """Synthetic bag-of-words documents with class-dependent word frequencies."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n_samples)
    frequencies = rng.dirichlet(np.full(n_words, 0.1)) * np.exp(
        rng.normal(0.0, 0.5, size=(2, n_words))
    )
    frequencies /= frequencies.sum(axis=1, keepdims=True)
    cumulative = np.cumsum(frequencies, axis=1)
    draws = rng.random((n_samples, words_per_doc))
    words = np.empty((n_samples, words_per_doc), dtype=np.int64)
    for c in (0, 1):
        rows = y == c
        words[rows] = np.searchsorted(cumulative[c], draws[rows])
    words = np.minimum(words, n_words - 1)
    indptr = np.arange(0, n_samples * words_per_doc + 1, words_per_doc)
    X = sp.csr_matrix(
        (np.ones(words.size), words.ravel(), indptr), shape=(n_samples, n_words)
    )
    X.sum_duplicates()
    X.data = np.log1p(X.data)
    return normalize(X), y
