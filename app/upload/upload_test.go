package upload_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"

	"golang.org/x/image/webp"

	"github.com/wardportal/portal/app/upload"
	"github.com/wardportal/portal/app/upload/uploadtest"
)

func TestInspectReadsTheTypeFromTheContent(t *testing.T) {
	t.Parallel()
	pdf := []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
	csv := []byte("氏名,町名,人数\n山田,四谷,3\n佐藤,新宿,5\n")
	for _, c := range []struct {
		what, name string
		data       []byte
		wantType   string
		wantName   string
		wantErr    error
	}{
		{"a PNG named .pdf is a PNG", "申請書.pdf", uploadtest.PNG(20, 10), upload.PNG, "申請書.png", nil},
		{"a PDF named .png is refused as no image", "photo.png", pdf, "", "", upload.ErrNotImage},
		{"text named .png is refused as no image", "写真.png", []byte("これは画像ではありません。\n"), "", "", upload.ErrNotImage},
		{"text named .jpg is refused as no image", "a.JPG", []byte("plain text\n"), "", "", upload.ErrNotImage},
		{"a PDF", "案内.pdf", pdf, upload.PDF, "案内.pdf", nil},
		{"a PDF without a name's extension", "案内", pdf, upload.PDF, "案内.pdf", nil},
		{"text", "お知らせ.txt", []byte("区民のみなさまへ\n"), upload.Text, "お知らせ.txt", nil},
		{"CSV detected by its columns", "data.csv", csv, upload.CSV, "data.csv", nil},
		{"CSV named .txt is CSV", "data.txt", csv, upload.CSV, "data.csv", nil},
		{"one column of text named .csv", "list.csv", []byte("四谷\n新宿\n"), upload.CSV, "list.csv", nil},
		{"Word", "様式.docx", uploadtest.Office("docx"), upload.DOCX, "様式.docx", nil},
		{"Excel named .docx is Excel", "様式.docx", uploadtest.Office("xlsx"), upload.XLSX, "様式.xlsx", nil},
		{"PowerPoint", "説明.pptx", uploadtest.Office("pptx"), upload.PPTX, "説明.pptx", nil},
		{"a ZIP that is no Office file", "files.docx", uploadtest.Office("zip"), "", "", upload.ErrType},
		{"HTML named .txt", "page.txt", []byte("<!DOCTYPE html><html><script>alert(1)</script></html>"), "", "", upload.ErrType},
		{"SVG (may carry script)", "logo.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), "", "", upload.ErrType},
		{"an old Word file", "古い.doc", append([]byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"), make([]byte, 600)...), "", "", upload.ErrType},
		{"an executable named .pdf", "a.pdf", append([]byte("MZ\x90\x00"), make([]byte, 100)...), "", "", upload.ErrType},
		{"nothing", "empty.pdf", nil, "", "", upload.ErrEmpty},
		{"one byte over the limit", "big.txt", bytes.Repeat([]byte("a"), upload.MaxSize+1), "", "", upload.ErrTooLarge},
		{"a broken JPEG", "broken.jpg", uploadtest.JPEG(40, 30, 1)[:300], "", "", upload.ErrBadImage},
	} {
		t.Run(c.what, func(t *testing.T) {
			f, err := upload.Inspect(c.name, c.data)
			if c.wantErr != nil {
				if !errors.Is(err, c.wantErr) {
					t.Fatalf("err %v, want %v", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f.ContentType != c.wantType || f.Name != c.wantName {
				t.Errorf("got %s %q, want %s %q", f.ContentType, f.Name, c.wantType, c.wantName)
			}
		})
	}
}

func TestSafeName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"申請書 (第1号).pdf":                   "申請書__第1号_.pdf",
		`C:\Users\kuyakusho\案内.pdf`:       "案内.pdf",
		"../../etc/passwd":                "passwd",
		"a\x00b\u202ec?d#e%f.txt":         "abc_d_e_f.txt",
		".hidden":                         "hidden",
		"":                                "file",
		"___.pdf":                         "file.pdf",
		"[link](x).png":                   "_link__x_.png",
		strings.Repeat("あ", 150) + ".pdf": strings.Repeat("あ", 96) + ".pdf",
		"ｶﾞ.txt":                          "ｶﾞ.txt",
	} {
		if got := upload.SafeName(in); got != want {
			t.Errorf("SafeName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestImagesLoseTheirMetadata: the original keeps its pixels and loses its
// EXIF (GPS), comments and trailing pictures; the phone-sized copy is at
// most 800 px wide, turned as the orientation said, and carries nothing.
func TestImagesLoseTheirMetadata(t *testing.T) {
	t.Parallel()
	t.Run("JPEG", func(t *testing.T) {
		t.Parallel()
		in := uploadtest.JPEG(2000, 1000, 6) // stored landscape, shown portrait
		if !bytes.Contains(in, []byte(uploadtest.Secret)) {
			t.Fatal("the test image lacks its secret")
		}
		f, err := upload.Inspect("IMG_0001.JPG", in)
		if err != nil {
			t.Fatal(err)
		}
		if f.ContentType != upload.JPEG || f.Name != "IMG_0001.JPG" || f.Width != 1000 || f.Height != 2000 {
			t.Fatalf("got %s %q %d×%d, want image/jpeg 1000×2000", f.ContentType, f.Name, f.Width, f.Height)
		}
		noSecret(t, "original", f.Data)
		noSecret(t, "small", f.Small)
		if bytes.Contains(f.Small, []byte("Exif")) {
			t.Error("the small copy has an EXIF block")
		}
		if _, o, err := upload.StripMetadata(upload.JPEG, f.Data); err != nil || o != 6 {
			t.Errorf("the original's orientation after stripping: %d, %v; want 6 kept", o, err)
		}
		a, b := decodeJPEG(t, in), decodeJPEG(t, f.Data)
		if !bytes.Equal(a.(*image.YCbCr).Y, b.(*image.YCbCr).Y) {
			t.Error("stripping changed the pixels")
		}
		if f.SmallType != upload.JPEG {
			t.Errorf("small type %s", f.SmallType)
		}
		small := decodeJPEG(t, f.Small).Bounds()
		if small.Dx() != 800 || small.Dy() != 1600 {
			t.Errorf("small copy %v, want 800×1600 (turned, then at most 800 wide)", small.Size())
		}
	})
	t.Run("JPEG without orientation", func(t *testing.T) {
		t.Parallel()
		f, err := upload.Inspect("a.jpg", uploadtest.JPEG(640, 480, 1))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(f.Data, []byte("Exif")) {
			t.Error("an orientation of 1 still writes an EXIF block")
		}
		if s := decodeJPEG(t, f.Small).Bounds(); s.Dx() != 640 || s.Dy() != 480 || f.Width != 640 {
			t.Errorf("a narrow image was scaled: %v", s.Size())
		}
	})
	t.Run("PNG", func(t *testing.T) {
		t.Parallel()
		f, err := upload.Inspect("map.png", uploadtest.PNG(1000, 300))
		if err != nil {
			t.Fatal(err)
		}
		noSecret(t, "original", f.Data)
		noSecret(t, "small", f.Small)
		m, err := png.Decode(bytes.NewReader(f.Small))
		if err != nil || f.SmallType != upload.PNG {
			t.Fatalf("small copy: %s, %v", f.SmallType, err)
		}
		if s := m.Bounds(); s.Dx() != 800 || s.Dy() != 240 {
			t.Errorf("small copy %v, want 800×240", s.Size())
		}
		if _, err := png.Decode(bytes.NewReader(f.Data)); err != nil {
			t.Errorf("original after stripping: %v", err)
		}
	})
	t.Run("GIF", func(t *testing.T) {
		t.Parallel()
		f, err := upload.Inspect("anim.gif", uploadtest.GIF(30, 20))
		if err != nil {
			t.Fatal(err)
		}
		noSecret(t, "original", f.Data)
		if _, err := gif.Decode(bytes.NewReader(f.Data)); err != nil {
			t.Errorf("original after stripping: %v", err)
		}
		if f.Width != 30 || f.Height != 20 || f.SmallType != upload.PNG {
			t.Errorf("got %d×%d, small %s", f.Width, f.Height, f.SmallType)
		}
	})
	t.Run("WebP", func(t *testing.T) {
		t.Parallel()
		f, err := upload.Inspect("photo.webp", uploadtest.WebP(8))
		if err != nil {
			t.Fatal(err)
		}
		noSecret(t, "original", f.Data)
		if f.Width != 100 || f.Height != 150 || f.SmallType != upload.JPEG {
			t.Errorf("got %d×%d, small %s; want 100×150 (turned), a JPEG copy", f.Width, f.Height, f.SmallType)
		}
		if _, err := webp.Decode(bytes.NewReader(f.Data)); err != nil {
			t.Errorf("original after stripping: %v", err)
		}
		if _, o, err := upload.StripMetadata(upload.WebP, f.Data); err != nil || o != 8 {
			t.Errorf("orientation kept: %d, %v", o, err)
		}
	})
	t.Run("too many pixels", func(t *testing.T) {
		t.Parallel()
		// A PNG header claiming 20,000 × 20,000 pixels: refused before decoding.
		var buf bytes.Buffer
		if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
			t.Fatal(err)
		}
		b := buf.Bytes()
		copy(b[16:24], []byte{0, 0, 0x4e, 0x20, 0, 0, 0x4e, 0x20})
		binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
		if _, err := upload.Inspect("huge.png", b); !errors.Is(err, upload.ErrHuge) {
			t.Errorf("err %v, want ErrHuge", err)
		}
	})
}

func noSecret(t *testing.T, what string, b []byte) {
	t.Helper()
	if bytes.Contains(b, []byte(uploadtest.Secret)) {
		t.Errorf("%s still holds the metadata's secret", what)
	}
}

func decodeJPEG(t *testing.T, b []byte) image.Image {
	t.Helper()
	m, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return m
}
