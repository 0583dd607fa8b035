"""Word lists and templates for the synthetic catalog, written for this
project (no external data).

Common words ("love", "night", "fire", "heart") deliberately recur in track
titles, artist names, album titles, playlists and podcasts, so the same query
word can mean several entity types: the hard case the arms and the ranker
have to sort out. Genre, mood, activity and era values use the spellings of
``ltrr.vocabulary`` so query understanding recognises them.
"""
from __future__ import annotations

# genre -> (subgenres, relative share of the catalog)
GENRES: dict[str, tuple[tuple[str, ...], float]] = {
    "pop": (("dance pop", "electropop", "indie pop", "k-pop", "synth pop"), 0.20),
    "rap": (("hip hop", "trap", "gangsta rap", "southern hip hop", "boom bap"), 0.16),
    "rock": (("classic rock", "indie rock", "hard rock", "punk", "alternative rock"), 0.13),
    "r&b": (("contemporary r&b", "neo soul", "soul", "new jack swing", "funk"), 0.09),
    "edm": (("house", "techno", "trance", "dubstep", "drum and bass"), 0.09),
    "latin": (("reggaeton", "latin pop", "salsa", "bachata", "tropical"), 0.08),
    "country": (("country pop", "outlaw country", "bluegrass", "americana"), 0.06),
    "jazz": (("bebop", "smooth jazz", "cool jazz", "jazz fusion", "swing"), 0.04),
    "metal": (("heavy metal", "thrash metal", "death metal", "metalcore"), 0.04),
    "folk": (("indie folk", "singer-songwriter", "folk rock", "celtic"), 0.04),
    "classical": (("baroque", "romantic era", "opera", "minimalism", "orchestral"), 0.03),
    "reggae": (("roots reggae", "dancehall", "dub", "ska"), 0.02),
    "blues": (("delta blues", "chicago blues", "blues rock"), 0.02),
}

DECADES = (1960, 1970, 1980, 1990, 2000, 2010, 2020)

# genre -> relative weight of each decade in DECADES (when its artists started).
GENRE_DECADES: dict[str, tuple[float, ...]] = {
    "pop": (0.03, 0.05, 0.10, 0.12, 0.15, 0.30, 0.25),
    "rap": (0.00, 0.01, 0.06, 0.18, 0.20, 0.30, 0.25),
    "rock": (0.15, 0.18, 0.17, 0.17, 0.13, 0.12, 0.08),
    "r&b": (0.10, 0.12, 0.12, 0.18, 0.16, 0.17, 0.15),
    "edm": (0.00, 0.00, 0.03, 0.12, 0.20, 0.35, 0.30),
    "latin": (0.03, 0.05, 0.07, 0.12, 0.18, 0.28, 0.27),
    "country": (0.08, 0.12, 0.12, 0.18, 0.18, 0.18, 0.14),
    "jazz": (0.30, 0.18, 0.12, 0.12, 0.10, 0.10, 0.08),
    "metal": (0.02, 0.15, 0.25, 0.20, 0.15, 0.13, 0.10),
    "folk": (0.20, 0.15, 0.08, 0.10, 0.14, 0.20, 0.13),
    "classical": (0.25, 0.15, 0.15, 0.15, 0.10, 0.10, 0.10),
    "reggae": (0.15, 0.30, 0.20, 0.12, 0.10, 0.08, 0.05),
    "blues": (0.35, 0.20, 0.12, 0.12, 0.08, 0.08, 0.05),
}

# genre -> mean (danceability, energy, valence, tempo) before the mood's shift.
GENRE_AUDIO: dict[str, tuple[float, float, float, float]] = {
    "pop": (0.68, 0.66, 0.55, 118), "rap": (0.74, 0.64, 0.48, 98), "rock": (0.50, 0.76, 0.48, 124),
    "r&b": (0.66, 0.56, 0.52, 100), "edm": (0.70, 0.85, 0.42, 126), "latin": (0.76, 0.72, 0.65, 104),
    "country": (0.58, 0.62, 0.56, 114), "jazz": (0.55, 0.36, 0.50, 112),
    "metal": (0.42, 0.92, 0.30, 134), "folk": (0.52, 0.40, 0.48, 108),
    "classical": (0.30, 0.20, 0.35, 96), "reggae": (0.76, 0.58, 0.70, 90), "blues": (0.50, 0.50, 0.45, 102),
}

MOODS = ("happy", "sad", "chill", "energetic", "romantic", "dark", "angry")

# mood -> shift of (danceability, energy, valence, tempo).
MOOD_SHIFT: dict[str, tuple[float, float, float, float]] = {
    "happy": (0.06, 0.08, 0.25, 6), "sad": (-0.10, -0.20, -0.28, -14),
    "chill": (-0.04, -0.24, 0.02, -12), "energetic": (0.08, 0.18, 0.08, 12),
    "romantic": (-0.02, -0.10, 0.10, -8), "dark": (-0.04, 0.02, -0.25, 0),
    "angry": (-0.06, 0.22, -0.22, 14),
}

# genre -> relative weight of each mood in MOODS.
GENRE_MOODS: dict[str, tuple[float, ...]] = {
    "pop": (0.30, 0.14, 0.12, 0.18, 0.18, 0.05, 0.03),
    "rap": (0.14, 0.10, 0.12, 0.22, 0.08, 0.20, 0.14),
    "rock": (0.16, 0.14, 0.08, 0.28, 0.08, 0.12, 0.14),
    "r&b": (0.14, 0.16, 0.22, 0.08, 0.32, 0.06, 0.02),
    "edm": (0.26, 0.04, 0.14, 0.44, 0.04, 0.06, 0.02),
    "latin": (0.34, 0.08, 0.08, 0.24, 0.22, 0.02, 0.02),
    "country": (0.28, 0.24, 0.14, 0.10, 0.20, 0.02, 0.02),
    "jazz": (0.16, 0.14, 0.44, 0.06, 0.16, 0.04, 0.00),
    "metal": (0.02, 0.06, 0.00, 0.30, 0.00, 0.30, 0.32),
    "folk": (0.16, 0.28, 0.30, 0.04, 0.18, 0.04, 0.00),
    "classical": (0.14, 0.24, 0.40, 0.06, 0.10, 0.06, 0.00),
    "reggae": (0.40, 0.06, 0.34, 0.12, 0.06, 0.02, 0.00),
    "blues": (0.08, 0.40, 0.20, 0.08, 0.10, 0.12, 0.02),
}

# genre -> probability that a track carries explicit lyrics.
GENRE_EXPLICIT: dict[str, float] = {"rap": 0.6, "metal": 0.3, "r&b": 0.2, "rock": 0.12, "edm": 0.08,
                                    "latin": 0.15, "pop": 0.1}

# Shared title words with Zipf-like weights: the first ones are everywhere.
COMMON_WORDS = (
    "Love", "Night", "Fire", "Heart", "Dream", "Light", "Summer", "Gold", "Rain", "Dance",
    "Blue", "Wild", "Home", "Midnight", "Sky", "Stars", "Forever", "Angel", "Paradise", "Shadow",
    "River", "Ocean", "Thunder", "Diamond", "Sunset", "Electric", "Velvet", "Neon", "Ghost", "Honey",
)

# Title nouns by mood, mixed with COMMON_WORDS.
MOOD_NOUNS: dict[str, tuple[str, ...]] = {
    "happy": ("Sunshine", "Party", "Smile", "Holiday", "Celebration", "Summer", "Good Times", "Sugar",
              "Lemonade", "Confetti", "Daylight", "Groove", "Fiesta", "Cherry", "Butterfly"),
    "sad": ("Tears", "Goodbye", "Rain", "Broken Heart", "Memories", "Winter", "Ashes", "Lonely Road",
            "Empty Room", "Letters", "Scars", "Grey Skies", "Last Call", "Silence", "Yesterday"),
    "chill": ("Breeze", "Clouds", "Waves", "Sunday", "Coffee", "Moonlight", "Slow Motion", "Haze",
              "Daydream", "Lavender", "Window Seat", "Tide", "Porch Light", "Still Water", "Drift"),
    "energetic": ("Fire", "Lightning", "Rush", "Adrenaline", "Rocket", "Power", "Thunder", "Engine",
                  "Jump", "Turbo", "Voltage", "Stampede", "Firestarter", "Overdrive", "Blast"),
    "romantic": ("Love", "Kiss", "Heart", "Baby", "Forever", "Darling", "Roses", "Sweetheart", "Promise",
                 "Valentine", "Slow Dance", "First Sight", "Wedding Song", "Honeymoon", "Lover"),
    "dark": ("Shadows", "Midnight", "Ghost", "Smoke", "Poison", "Demons", "Black Mirror", "Venom",
             "Nightfall", "Graveyard", "Eclipse", "Cold Blood", "Hollow", "Phantom", "Abyss"),
    "angry": ("Rage", "War", "Riot", "Blood", "Chaos", "Enemy", "Revenge", "Wreckage", "Outlaw",
              "Bullet", "Burn It Down", "Warpath", "Scream", "Iron Fist", "Payback"),
}

ADJECTIVES = (
    "Golden", "Wild", "Lost", "Electric", "Broken", "Sweet", "Young", "Crazy", "Lonely", "Burning",
    "Silver", "Endless", "Secret", "Velvet", "Hollow", "Crimson", "Little", "Silent", "Purple", "Fading",
    "Blue", "Dirty", "Perfect", "Beautiful", "Dangerous", "Midnight", "Summer", "Cosmic", "Restless",
    "Frozen", "Neon", "Wicked", "Gentle", "Savage", "Heavy", "Honest", "Holy", "Reckless", "Easy", "Bright",
)

VERBS = (
    "Hold", "Take", "Call", "Save", "Touch", "Kiss", "Chase", "Break", "Light", "Follow", "Find", "Keep",
    "Feel", "Show", "Tell", "Need", "Miss", "Wake", "Love", "Leave", "Burn", "Run", "Dance", "Trust",
)

PLACES = (
    "the City", "the Dark", "the Rain", "the Club", "the Desert", "the Sky", "Paris", "Tokyo", "California",
    "the Moon", "the Streets", "Brooklyn", "Miami", "the Garden", "the Valley", "Havana", "London",
    "the Deep End", "the Backseat", "Heaven", "Hollywood", "Memphis", "Berlin", "the North",
)

PRONOUNS = ("Me", "You", "Us", "Her", "Him", "Them", "My Heart", "Your Love")

# Track title templates: {A} adjective, {N} noun, {N2} second noun, {V} verb,
# {P} place, {O} object pronoun.
TITLE_TEMPLATES = (
    "{N}", "{N}", "{A} {N}", "{A} {N}", "{A} {N}", "{V} {O}", "{N} in {P}", "{N} of {N2}",
    "{V} the {N}", "Don't {V} {O}", "{N} & {N2}", "The {N}", "{A} {N} Blues", "{N} Tonight",
    "{V} {O} Tonight", "Nights in {P}", "{A} Love", "{N} on Fire", "Lights of {P}", "{V} My {N}",
    "All My {N}", "Baby {V} {O}", "{N} Song", "Running to {P}", "{A}",
)

ALBUM_TEMPLATES = (
    "{A} {N}", "{N}", "The {N} Sessions", "{N} & {N2}", "{A} Hearts", "Songs from {P}", "{N} Tapes",
    "Into {P}", "Chapter {R}", "{A} Days", "{N} Season", "Tales of {N2}", "Volume {R}", "{A} Nights",
)

ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII")

# Artist names ---------------------------------------------------------------

FIRST_NAMES = (
    "Alex", "Maya", "Jordan", "Luna", "Marcus", "Sofia", "Eli", "Nina", "Jamal", "Chloe", "Diego", "Aria",
    "Caleb", "Zara", "Leo", "Ivy", "Tyler", "Layla", "Noah", "Mila", "Andre", "Emma", "Rafael", "Jade",
    "Kofi", "Ruby", "Omar", "Stella", "Felix", "Nova", "Isaac", "Hazel", "Mateo", "Lila", "Dante", "Iris",
    "Owen", "Skye", "Miles", "Ella", "Kai", "Rosa", "Julian", "Grace", "Theo", "Amara", "Lucas", "Billie",
    "Carmen", "Ray", "Etta", "Otis", "Frankie", "Dolly", "Johnny", "Aretha", "Buddy", "Janis", "Nico",
    "Selena", "Bruno", "Camila", "Marvin", "Whitney", "Wanda", "Hank", "Loretta", "Chet", "Nina", "Levi",
)

LAST_NAMES = (
    "Rivers", "Knight", "Stone", "Cruz", "Hayes", "Monroe", "Vega", "Blake", "Santos", "Reed", "Carter",
    "Moon", "Fox", "Delgado", "Brooks", "Lane", "Okafor", "Winter", "Black", "Gold", "Park", "Rose",
    "Summers", "Wilde", "Banks", "Fontaine", "Ramirez", "Castle", "Frost", "Hart", "Day", "Price",
    "Silva", "Young", "Starr", "Jackson", "Lee", "Love", "King", "Diaz", "Marley", "James", "Cole", "Nash",
    "Bell", "Night", "Ellis", "Quinn", "Jensen", "Kim", "Morales", "Holiday", "Parker", "Sterling", "Fire",
)

STAGE_PREFIXES = ("DJ", "MC", "Lil", "Young", "Big", "Saint", "King", "Lady", "Sister", "Uncle")

STAGE_WORDS = (
    "Nova", "Blaze", "Echo", "Vortex", "Jinx", "Phoenix", "Kairo", "Zion", "Onyx", "Raven", "Nyx", "Sable",
    "Cipher", "Tempo", "Rogue", "Atlas", "Indigo", "Comet", "Halo", "Mercury", "Orion", "Pixel", "Rebel",
    "Saga", "Titan", "Vapor", "Wolf", "Zephyr", "Jett", "Kobra", "Lotus", "Mystic", "Neon", "Oracle",
    "Prism", "Quake", "Solar", "Tundra", "Umbra", "Viper", "Flux", "Ember", "Storm", "Kid Cosmo", "Moonboy",
    "Heartbreak", "Nightshade", "Firefly", "Goldie", "Lovejoy", "Midnite", "Starchild", "Skyler", "Tank",
)

BAND_ADJECTIVES = (
    "Black", "Electric", "Silver", "Velvet", "Midnight", "Arctic", "Crimson", "Neon", "Golden", "Wild",
    "Broken", "Royal", "Lunar", "Holy", "Howling", "Atomic", "Burning", "Paper", "Glass", "Iron",
    "Lonely", "Secret", "Savage", "Cosmic", "Foreign", "Young", "Wicked", "Stone", "Sonic", "Violet",
    "Restless", "Dead", "Sleeping", "Hollow", "Little", "Infinite", "Lost", "Modern", "Rusty", "Blue",
)

BAND_NOUNS = (
    "Keys", "Wolves", "Hearts", "Monkeys", "Lips", "Kings", "Tigers", "Ghosts", "Saints", "Rebels",
    "Foxes", "Pilots", "Riders", "Strangers", "Lovers", "Dreamers", "Machines", "Sparks", "Flames",
    "Horses", "Owls", "Sisters", "Brothers", "Giants", "Angels", "Vipers", "Ravens", "Youth", "Kids",
    "Thieves", "Shadows", "Empire", "Parade", "Orchestra", "Collective", "Society", "Union", "Club",
    "Radio", "Fire", "Nights", "Diamonds", "Arrows", "Satellites", "Echoes", "Waves", "Comets",
)

# Artist name templates by kind: person, stage name, band.
ARTIST_TEMPLATES = (
    "{F} {L}", "{F} {L}", "{F} {L}", "{F}", "{S}", "{X} {S}", "{X} {F}", "The {BA} {BN}", "{BA} {BN}",
    "The {BN}", "{F} & the {BN}", "{S} {BN}", "{L} {BN}", "{F} {L} Band", "{S} Collective",
)

COUNTRIES = ("US", "US", "US", "GB", "GB", "CA", "AU", "SE", "DE", "FR", "BR", "MX", "CO", "PR", "ES",
             "JM", "NG", "KR", "JP", "NL", "IE", "NZ", "NO", "AR")

# Remixers and live venues for version tracks ---------------------------------

LIVE_PLACES = ("Wembley", "Red Rocks", "the Apollo", "Madison Square Garden", "Glastonbury", "Coachella",
               "the BBC", "Budokan", "the Fillmore", "Montreux", "the Roundhouse", "Paris", "Tokyo")

# Playlists -------------------------------------------------------------------

ACTIVITIES = ("workout", "study", "party", "sleep", "driving", "cooking")

# activity -> (words for names, constraint on audio features as (feature, low, high)).
ACTIVITY_RULES: dict[str, tuple[tuple[str, ...], tuple[str, float, float]]] = {
    "workout": (("Workout", "Gym", "Running", "Cardio", "Training"), ("energy", 0.70, 1.0)),
    "study": (("Study", "Focus", "Concentration", "Study Session"), ("energy", 0.0, 0.50)),
    "party": (("Party", "Club", "Pregame", "House Party"), ("danceability", 0.68, 1.0)),
    "sleep": (("Sleep", "Bedtime", "Sleeping"), ("energy", 0.0, 0.38)),
    "driving": (("Road Trip", "Driving", "Drive"), ("energy", 0.50, 1.0)),
    "cooking": (("Cooking", "Dinner", "Kitchen"), ("valence", 0.45, 1.0)),
}

# Playlist name templates by kind; {G} genre display name, {E} era ("90s"),
# {M} mood phrase, {W} activity word, {S} subgenre, {AR} artist name.
ERA_PLAYLISTS = ("{E} {G} Classics", "{E} {G} Hits", "Best of {E} {G}", "{G} of the {E}", "{E} {G} Anthems",
                 "Forgotten {E} {G}", "{E} {G} Essentials")
ACTIVITY_PLAYLISTS = ("{W} {G}", "{G} {W} Mix", "{W} Beats", "{W} {G} Hits", "Ultimate {W} {G}")
MOOD_PLAYLISTS: dict[str, tuple[str, ...]] = {
    "sad": ("Sad Songs for a Breakup", "Sad {G}", "Crying in the Car", "Heartbreak {G}", "Rainy Day {G}",
            "Songs to Cry To", "Sad Night Feelings"),
    "happy": ("Happy {G} Hits", "Feel Good {G}", "Good Vibes Only", "Sunny Day {G}", "Happy Hits",
              "Summer {G} Vibes"),
    "chill": ("Chill {G}", "Rainy Day {G}", "Lazy Sunday {G}", "Late Night {G}", "Chilled {G} Evenings",
              "Coffee House {G}"),
    "energetic": ("{G} Energy", "Hype {G}", "Pump Up {G}", "{G} Power Hour", "Beast Mode {G}"),
    "romantic": ("{G} Love Songs", "Date Night {G}", "Romantic {G}", "Love Ballads", "Slow Jams"),
    "dark": ("Dark {G}", "Midnight {G}", "{G} After Dark", "Moody {G}"),
    "angry": ("Angry {G}", "Rage {G}", "{G} Rage Mode", "Aggressive {G}"),
}
SUBGENRE_PLAYLISTS = ("{S} Essentials", "Pure {S}", "{S} Now", "Deep {S}", "{S} Rising")
NEW_PLAYLISTS = ("New {G} Releases", "Fresh {G}", "New Music Friday {G}", "{G} Rising", "Brand New {G}")
ARTIST_PLAYLISTS = ("This Is {AR}", "{AR} Radio", "Best of {AR}")
CURATORS = ("ltrr Editorial", "ltrr Editorial", "ltrr Editorial", "Night Owl Records", "Fresh Ears",
            "Playlist Pete", "The Crate Diggers", "Mood Machine")

GENRE_DISPLAY = {"pop": "Pop", "rap": "Rap", "rock": "Rock", "r&b": "R&B", "edm": "EDM", "latin": "Latin",
                 "country": "Country", "jazz": "Jazz", "metal": "Metal", "folk": "Folk",
                 "classical": "Classical", "reggae": "Reggae", "blues": "Blues"}

# Podcasts --------------------------------------------------------------------

PODCAST_TOPICS: dict[str, tuple[str, ...]] = {
    "music history": ("History", "Legends", "Backstage", "Liner Notes", "Deep Cuts"),
    "true crime": ("Murder", "Case Files", "Cold Case", "Crime", "Mystery"),
    "comedy": ("Laughs", "Comedy Hour", "Nonsense", "Roast", "Jokes"),
    "technology": ("Tech", "Code", "Future", "Gadgets", "Silicon"),
    "science": ("Science", "Cosmos", "Lab", "Curiosity", "Big Questions"),
    "sports": ("Sports", "Locker Room", "Game Day", "Overtime", "Fantasy League"),
    "news": ("Daily", "Briefing", "Headlines", "World Report", "The Week"),
    "business": ("Money", "Startup", "Markets", "Hustle", "Business"),
    "health": ("Wellness", "Mindful", "Fitness", "Sleep Better", "Healthy Habits"),
    "history": ("Empires", "Revolutions", "Ancient Times", "War Stories", "Past Lives"),
    "relationships": ("Love", "Dating", "Heartbreak", "Modern Love", "Relationship Advice"),
    "culture": ("Pop Culture", "Film Club", "Bookworms", "Late Night Talk", "Fandom"),
}
PODCAST_TEMPLATES = ("The {T} Show", "{T} Podcast", "{T} Weekly", "{A} {T}", "The {T} Hour",
                     "Inside {T}", "{T} Tonight", "{T} with {F} {L}", "Late Night {T}", "{T} Unplugged")
EPISODE_TEMPLATES = ("{N} and {N2}", "The Story of {N}", "Why {N} Matters", "{A} {N}",
                     "What We Learned About {N}", "A Night of {N}", "Fire, {N} and {N2}", "The {A} Truth",
                     "Love, {N} and Everything", "Ask Us Anything: {N}")
MUSIC_EPISODE_TEMPLATES = ("How {AR} Changed {G}", "The Story of {AR}", "{AR}: The Interview",
                           "The {E} {G} Explosion", "Inside {AR}'s Studio", "Why {G} Went Global")
