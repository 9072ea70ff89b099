-- The tables as 0001 made them, empty: their rows live on as pages.
CREATE TABLE notices (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title        text        NOT NULL,
    body         text        NOT NULL,
    department   text        NOT NULL,
    published_at timestamptz NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notices_published_idx ON notices (published_at DESC, id DESC);

CREATE TABLE subsidies (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title        text        NOT NULL,
    body         text        NOT NULL,
    department   text        NOT NULL,
    amount       text        NOT NULL DEFAULT '',
    apply_until  date,
    published_at timestamptz NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subsidies_published_idx ON subsidies (published_at DESC, id DESC);

CREATE TABLE articles (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         text        NOT NULL CHECK (kind IN ('article', 'column')),
    title        text        NOT NULL,
    body         text        NOT NULL,
    author_label text        NOT NULL,
    published_at timestamptz NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX articles_published_idx ON articles (published_at DESC, id DESC);
