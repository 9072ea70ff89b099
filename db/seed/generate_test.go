package seed

import (
	"testing"
	"time"
)

// Generating rows without a database: go test -run - -bench . ./db/seed/
// (about 2 s for a million posts; the COPY itself is PostgreSQL-bound).
func BenchmarkBoardGen(b *testing.B) {
	s := &seeder{o: Options{Seed: 1}, now: time.Now()}
	s.categoryIDs = []int64{1, 2, 3, 4, 5, 6, 7}
	for i := 0; i < 350000; i++ {
		s.activeMembers = append(s.activeMembers, int64(i+1))
	}
	for b.Loop() {
		g := &boardGen{s: s, r: newRand(1, streamBoard), now: s.now, start: s.now.Add(-365 * 24 * time.Hour), span: 365 * 24 * time.Hour, topics: 200000, replies: 800000, nextID: 1}
		for g.next() != nil {
		}
	}
}

func BenchmarkMemberGen(b *testing.B) {
	s := &seeder{o: Options{Seed: 1, Members: 350000}, now: time.Now()}
	for b.Loop() {
		g := s.newMemberGen(1, 0)
		for {
			if _, ok := g.next(); !ok {
				break
			}
		}
	}
}
