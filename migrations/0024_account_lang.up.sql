-- The language an account reads the site in: mail to it goes out in that
-- language (a member who registered on the English pages, or switched to
-- them since, gets English mail).
ALTER TABLE accounts ADD COLUMN lang text NOT NULL DEFAULT 'ja' CHECK (lang IN ('ja', 'en'));
