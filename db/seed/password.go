package seed

// Password is the password of every seeded member and group account. It is
// dummy data like the rest, documented in the README.
const Password = "dummy-password"
