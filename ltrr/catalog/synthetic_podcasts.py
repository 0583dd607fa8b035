"""The synthetic catalog's podcasts and their episodes.

Episode titles share the catalog's common words ("love", "night"), and
music-history podcasts talk about the catalog's popular artists, so a query can mean a song,
an artist or an episode about them.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ltrr.catalog import wordlists as W
from ltrr.catalog.synthetic_artists import Artists
from ltrr.catalog.synthetic_codes import GENRE_NAMES, REFERENCE_DAY, era_label
from ltrr.catalog.synthetic_draws import choice, step_rng

# An episode counts as new within this many days before the catalog's REFERENCE_DATE
# (tracks and albums use the schema's NEW_RELEASE_DAYS).
NEW_EPISODE_DAYS = 30


def make_podcasts(artists: Artists, tracks: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Podcasts on topics, with weekly-ish episodes; music podcasts talk about
    the catalog's artists (a title like "How Nova Changed EDM" is an episode).

    About one podcast per 250 tracks (12 to 4,000); returns the ``podcasts``
    and ``episodes`` tables.
    """
    rng = step_rng(seed, 5)
    n = int(np.clip(tracks // 250, 12, 4000))
    topics = tuple(W.PODCAST_TOPICS)
    rank = rng.permutation(n) + 1
    popularity = np.clip(90 - 20 * np.log10(rank) + rng.normal(0, 5, n), 0, 100).round(1)
    top_artists = np.argsort(-artists.popularity)[: max(5, len(artists) // 10)]
    pods, eps = [], []
    seen: dict[str, int] = {}
    episode_no = 0
    for i in range(n):
        topic = topics[int(rng.integers(0, len(topics)))]
        word = choice(rng, W.PODCAST_TOPICS[topic])
        title = choice(rng, W.PODCAST_TEMPLATES).format(
            T=word, A=choice(rng, W.ADJECTIVES), F=choice(rng, W.FIRST_NAMES), L=choice(rng, W.LAST_NAMES))
        count = seen.get(title, 0)
        seen[title] = count + 1
        if count:
            title = f"{title} {count + 1}"
        publisher = choice(rng, (f"{choice(rng, W.LAST_NAMES)} Media", "ltrr Audio",
                                  f"{choice(rng, W.BAND_ADJECTIVES)} {choice(rng, W.BAND_NOUNS)} Studios"))
        podcast_id = f"podcast:pc{i:07d}"
        pods.append({"podcast_id": podcast_id, "title": title, "publisher": publisher,
                     "description": f"A {topic} podcast: {word.lower()}, conversations and stories.",
                     "topic": topic, "popularity": popularity[i]})
        n_eps = int(rng.integers(4, 41))
        last = REFERENCE_DAY - int(rng.exponential(60))
        for k in range(n_eps):
            if topic == "music history" and rng.random() < 0.6:
                a = int(top_artists[rng.integers(0, len(top_artists))])
                decade = int(rng.choice(W.DECADES))
                ep_title = choice(rng, W.MUSIC_EPISODE_TEMPLATES).format(
                    AR=artists.names[a], G=W.GENRE_DISPLAY[GENRE_NAMES[artists.genre[a]]], E=era_label(decade))
            else:
                ep_title = choice(rng, W.EPISODE_TEMPLATES).format(
                    N=choice(rng, W.COMMON_WORDS), N2=choice(rng, W.MOOD_NOUNS[choice(rng, W.MOODS)]),
                    A=choice(rng, W.ADJECTIVES))
            day = last - 7 * k - int(rng.integers(0, 3))
            eps.append({"episode_id": f"episode:ep{episode_no:07d}", "podcast_id": podcast_id,
                        "title": f"Ep. {n_eps - k}: {ep_title}",
                        "description": f"{title} on {ep_title.lower()}.",
                        "release_date": dt.date(1970, 1, 1) + dt.timedelta(days=day),
                        "duration_sec": float(round(rng.uniform(15, 110) * 60)),
                        "popularity": round(float(np.clip(popularity[i] - 2 * k + rng.normal(0, 5), 0, 100)), 1),
                        "is_new": day > REFERENCE_DAY - NEW_EPISODE_DAYS})
            episode_no += 1
    return pd.DataFrame(pods), pd.DataFrame(eps)
