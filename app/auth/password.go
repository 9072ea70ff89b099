// Package auth holds password hashing and generation. Hashes are argon2id
// (github.com/alexedwards/argon2id) with parameters from RFC 9106's second
// recommendation, sized for a small server.
package auth

import (
	"crypto/rand"
	"math/big"

	"github.com/alexedwards/argon2id"
)

// Params are the argon2id parameters of new hashes: 64 MiB, 3 passes.
var Params = &argon2id.Params{Memory: 64 * 1024, Iterations: 3, Parallelism: 2, SaltLength: 16, KeyLength: 32}

// HashPassword returns an argon2id hash in the PHC string format.
func HashPassword(pw string) (string, error) { return argon2id.CreateHash(pw, Params) }

// CheckPassword reports whether pw matches hash, in constant time.
func CheckPassword(pw, hash string) (bool, error) { return argon2id.ComparePasswordAndHash(pw, hash) }

// passwordAlphabet leaves out characters that are confused when read aloud
// or copied from paper: 0/O, 1/l/I.
const passwordAlphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// GeneratePassword returns a random initial password of n characters.
func GeneratePassword(n int) string {
	b := make([]byte, n)
	max := big.NewInt(int64(len(passwordAlphabet)))
	for i := range b {
		v, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic(err) // crypto/rand never fails on supported platforms
		}
		b[i] = passwordAlphabet[v.Int64()]
	}
	return string(b)
}
