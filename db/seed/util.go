package seed

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
	"unicode/utf8"
)

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// weighted returns an index into weights with probability proportional to its weight.
func weighted(r *rand.Rand, weights []int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	x := r.IntN(total)
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

// fill replaces the {町} placeholder with a town name.
func fill(s, townName string) string {
	if !strings.Contains(s, "{町}") {
		return s
	}
	return strings.ReplaceAll(s, "{町}", townName)
}

var townWeights = func() []int {
	w := make([]int, len(towns))
	for i, t := range towns {
		w[i] = 2 + t.Chome // bigger towns, more people
	}
	return w
}()

func pickTown(r *rand.Rand) town { return towns[weighted(r, townWeights)] }

func townByName(name string) town {
	for _, t := range towns {
		if t.Name == name {
			return t
		}
	}
	return town{Name: name, Postal: "160-0022"}
}

// streetAddress returns a made-up address in t, e.g.
// 東京都新宿区西新宿二丁目3番4号, sometimes with a building and room.
func streetAddress(r *rand.Rand, t town, withBuilding bool) string {
	var b strings.Builder
	b.WriteString("東京都新宿区")
	b.WriteString(t.Name)
	if t.Chome > 0 {
		b.WriteString(kanjiDigits[1+r.IntN(t.Chome)])
		b.WriteString("丁目")
	}
	fmt.Fprintf(&b, "%d番%d号", 1+r.IntN(28), 1+r.IntN(18))
	if withBuilding && r.IntN(10) < 4 {
		fmt.Fprintf(&b, " %s%d%02d", pick(r, buildings), 1+r.IntN(9), 1+r.IntN(12))
	}
	return b.String()
}

// landline returns a random Tokyo number; first is its first subscriber digit.
func landline(r *rand.Rand, first int) string {
	return fmt.Sprintf("03-%d%03d-%04d", first, r.IntN(1000), r.IntN(10000))
}

func mobile(r *rand.Rand) string {
	return fmt.Sprintf("%s-%04d-%04d", pick(r, []string{"090", "080", "070"}), r.IntN(10000), r.IntN(10000))
}

// jpDate formats t in Japan time as 6月14日（土）.
func jpDate(t time.Time) string {
	t = t.In(jst)
	return fmt.Sprintf("%d月%d日（%s）", t.Month(), t.Day(), weekdays[t.Weekday()])
}

// fiscalYear returns the Japanese fiscal year containing t, e.g. 令和8年度
// (April 2026 to March 2027).
func fiscalYear(t time.Time) string {
	t = t.In(jst)
	y := t.Year()
	if t.Month() < time.April {
		y--
	}
	return fmt.Sprintf("令和%d年度", y-2018)
}

// atJST returns the day of t (in Japan time) moved by days, at h:m JST.
func atJST(t time.Time, days, h, m int) time.Time {
	j := t.In(jst)
	return time.Date(j.Year(), j.Month(), j.Day()+days, h, m, 0, 0, jst)
}

// postingHours weights the hours people write at: little at night.
var postingHours = []int{1, 1, 0, 0, 0, 1, 2, 4, 6, 7, 8, 8, 10, 8, 7, 7, 7, 7, 8, 10, 12, 12, 9, 4}

// humanTime keeps t's day (Japan time) and moves it to a plausible hour,
// never past now.
func humanTime(r *rand.Rand, t, now time.Time) time.Time {
	j := t.In(jst)
	out := time.Date(j.Year(), j.Month(), j.Day(), weighted(r, postingHours), r.IntN(60), r.IntN(60), 0, jst)
	if out.After(now) {
		out = now.Add(-time.Duration(1+r.IntN(3600)) * time.Second)
	}
	return out
}

// compose strings sentences together (rarely the same one twice) until the
// text is at least min runes long; sentences are short, so it stays well
// under max as long as min <= max-100. closers, if any, end some texts.
func compose(r *rand.Rand, sentences, closers []string, townName string, minLen, maxLen int) string {
	target := minLen + int(r.ExpFloat64()*80)
	if target > maxLen-100 {
		target = maxLen - 100
	}
	var b strings.Builder
	var used uint64
	n := 0
	for n < target {
		i := r.IntN(len(sentences))
		for k := 0; k < len(sentences) && i < 64 && used&(1<<i) != 0; k++ {
			i = (i + 1) % len(sentences)
		}
		if i < 64 {
			used |= 1 << i
		}
		s := fill(sentences[i], townName)
		if n > 0 && r.IntN(8) == 0 {
			b.WriteByte('\n')
			n++
		}
		b.WriteString(s)
		n += utf8.RuneCountInString(s)
	}
	if len(closers) > 0 && r.IntN(3) == 0 {
		s := pick(r, closers)
		if n+utf8.RuneCountInString(s) <= maxLen {
			b.WriteString(s)
		}
	}
	return b.String()
}

// expandDoc fills a template's placeholders and joins its paragraphs with
// blank lines.
func expandDoc(paragraphs []string, rep *strings.Replacer) string {
	out := make([]string, len(paragraphs))
	for i, p := range paragraphs {
		out[i] = rep.Replace(p)
	}
	return strings.Join(out, "\n\n")
}
