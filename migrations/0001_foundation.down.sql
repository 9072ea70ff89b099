DROP TABLE IF EXISTS sessions, articles, subsidies, notices, board_posts, board_categories,
    events, facilities, groups, member_profiles, accounts;
