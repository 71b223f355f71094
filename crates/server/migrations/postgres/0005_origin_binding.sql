-- Origin binding (issue 15). Keep equivalent to ../sqlite/0005_origin_binding.sql.

-- A relying party's web origins: a JSON array of ASCII-serialised origins
-- ("https://shop.example"), signed into each of its approval requests.
ALTER TABLE rps ADD COLUMN origins TEXT NOT NULL DEFAULT '[]';

-- The first origin, not the relying party's, that a device reported as having handed
-- this request off (suspected phishing); NULL when none. Once set it stays: such a
-- request is never approved.
ALTER TABLE requests ADD COLUMN phishing_origin TEXT;
