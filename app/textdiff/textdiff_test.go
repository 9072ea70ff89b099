package textdiff

import (
	"reflect"
	"testing"
)

func TestChars(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, old, new string
		want           []Segment
	}{
		{"a date changed in Japanese", "申請期限は12月28日です", "申請期限は1月10日です",
			[]Segment{{Equal, "申請期限は1"}, {Delete, "2月28"}, {Insert, "月10"}, {Equal, "日です"}}},
		{"words inserted in a sentence", "補助金の申請は区役所の窓口で受け付けます。", "補助金の申請は区役所の窓口とオンラインで受け付けます。",
			[]Segment{{Equal, "補助金の申請は区役所の窓口"}, {Insert, "とオンライン"}, {Equal, "で受け付けます。"}}},
		{"unchanged", "同じ", "同じ", []Segment{{Equal, "同じ"}}},
		{"both empty", "", "", nil},
		{"added to nothing", "", "新規", []Segment{{Insert, "新規"}}},
		{"emptied", "削除", "", []Segment{{Delete, "削除"}}},
	} {
		got := Chars(tc.old, tc.new)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
		if Changed(got) != (tc.old != tc.new) {
			t.Errorf("%s: Changed %v", tc.name, Changed(got))
		}
	}
}
