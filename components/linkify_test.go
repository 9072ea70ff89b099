package components

import (
	"reflect"
	"testing"
)

func TestLinkParts(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []textPart
	}{
		{"リンクなし", []textPart{{Text: "リンクなし"}}},
		{"「https://a.jp/x」。", []textPart{{Text: "「"}, {Text: "https://a.jp/x", URL: "https://a.jp/x"}, {Text: "」。"}}},
		{"see https://a.jp/x?y=1.", []textPart{{Text: "see "}, {Text: "https://a.jp/x?y=1", URL: "https://a.jp/x?y=1"}, {Text: "."}}},
		{"http://a.jp、次", []textPart{{Text: "http://a.jp", URL: "http://a.jp"}, {Text: "、次"}}},
		{"javascript:alert(1) //x.jp ftp://x.jp", []textPart{{Text: "javascript:alert(1) //x.jp ftp://x.jp"}}},
		{"https://a.jp/<b>", []textPart{{Text: "https://a.jp/", URL: "https://a.jp/"}, {Text: "<b>"}}},
	} {
		if got := linkParts(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("linkParts(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}
