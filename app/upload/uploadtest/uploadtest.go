// Package uploadtest makes test images: small files, each carrying
// metadata a careless upload would publish. Shared by the upload package's
// tests and the handler tests.
package uploadtest

import (
	"archive/zip"
	"bytes"
	_ "embed"
	"encoding/binary"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
)

// Secret is the text hidden in the metadata of the test images; it must
// never be found in what the portal stores or serves.
const Secret = "GPS-35.6895N-139.6917E-SECRET"

func testPicture(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), 128, 255})
		}
	}
	return m
}

// JPEG is a w × h JPEG whose EXIF block (APP1) holds orientation o and
// Secret as its description, with a comment and, after its end, a
// second image's worth of bytes holding Secret too (as multi-picture
// files do).
func JPEG(w, h, o int) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, testPicture(w, h), &jpeg.Options{Quality: 90}); err != nil {
		panic(err)
	}
	enc := buf.Bytes()
	// TIFF, little-endian: IFD0 at 8 with two entries, then the text.
	tiff := []byte("II\x2a\x00\x08\x00\x00\x00")
	tiff = binary.LittleEndian.AppendUint16(tiff, 2)
	tiff = binary.LittleEndian.AppendUint16(tiff, 0x0112) // orientation
	tiff = binary.LittleEndian.AppendUint16(tiff, 3)
	tiff = binary.LittleEndian.AppendUint32(tiff, 1)
	tiff = binary.LittleEndian.AppendUint32(tiff, uint32(o))
	tiff = binary.LittleEndian.AppendUint16(tiff, 0x010E) // image description
	tiff = binary.LittleEndian.AppendUint16(tiff, 2)
	tiff = binary.LittleEndian.AppendUint32(tiff, uint32(len(Secret)+1))
	tiff = binary.LittleEndian.AppendUint32(tiff, 8+2+2*12+4)
	tiff = binary.LittleEndian.AppendUint32(tiff, 0)
	tiff = append(append(tiff, Secret...), 0)
	segment := func(marker byte, payload []byte) []byte {
		s := []byte{0xFF, marker}
		s = binary.BigEndian.AppendUint16(s, uint16(len(payload)+2))
		return append(s, payload...)
	}
	out := []byte{0xFF, 0xD8}
	out = append(out, segment(0xE1, append([]byte("Exif\x00\x00"), tiff...))...)
	out = append(out, segment(0xFE, []byte("comment "+Secret))...)
	out = append(out, enc[2:]...)
	return append(out, "\xFF\xD8\xFF\xE1 trailing "+Secret...)
}

// PNG is a w × h PNG with a tEXt chunk holding Secret.
func PNG(w, h int) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, testPicture(w, h)); err != nil {
		panic(err)
	}
	b := buf.Bytes()
	text := []byte("Comment\x00" + Secret)
	chunk := binary.BigEndian.AppendUint32(nil, uint32(len(text)))
	chunk = append(append(chunk, "tEXt"...), text...)
	chunk = binary.BigEndian.AppendUint32(chunk, 0) // the CRC is not checked by the stripper
	const ihdrEnd = 8 + 12 + 13
	return append(append(append([]byte{}, b[:ihdrEnd]...), chunk...), b[ihdrEnd:]...)
}

// GIF is a w × h GIF with a comment extension holding Secret.
func GIF(w, h int) []byte {
	m := image.NewPaletted(image.Rect(0, 0, w, h), color.Palette{color.Black, color.White})
	for x := 0; x < w; x++ {
		m.SetColorIndex(x, x%h, 1)
	}
	var buf bytes.Buffer
	if err := gif.Encode(&buf, m, nil); err != nil {
		panic(err)
	}
	b := buf.Bytes()
	at := 13 + 3<<((b[10]&7)+1) // after the global colour table
	comment := append([]byte{0x21, 0xFE, byte(len(Secret))}, Secret...)
	comment = append(comment, 0)
	return append(append(append([]byte{}, b[:at]...), comment...), b[at:]...)
}

// plainWebP is a 150 × 100 lossy WebP in the simple format, from the test
// data of golang.org/x/image (BSD licence): Go can read WebP, not write it.
//
//go:embed blue-purple-pink.lossy.webp
var plainWebP []byte

// WebP is a 150 × 100 WebP in the extended format (VP8X) with an EXIF chunk
// holding orientation o and Secret, and an XMP chunk holding Secret.
func WebP(o int) []byte {
	vp8x := []byte{0x08 | 0x04, 0, 0, 0, 149, 0, 0, 99, 0, 0} // EXIF and XMP flags; canvas 150 × 100 less one
	var tiff bytes.Buffer
	tiff.WriteString("MM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01")
	tiff.Write([]byte{0, byte(o), 0, 0, 0, 0, 0, 0})
	tiff.WriteString(Secret)
	out := []byte("RIFF\x00\x00\x00\x00WEBP")
	chunk := func(fourcc string, payload []byte) {
		out = append(out, fourcc...)
		out = binary.LittleEndian.AppendUint32(out, uint32(len(payload)))
		out = append(out, payload...)
		if len(payload)%2 == 1 {
			out = append(out, 0)
		}
	}
	chunk("VP8X", vp8x)
	out = append(out, plainWebP[12:]...) // the VP8 chunk
	chunk("EXIF", tiff.Bytes())
	chunk("XMP ", []byte("<x:xmpmeta>"+Secret+"</x:xmpmeta>"))
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out
}

// Office is a minimal Office Open XML package of kind docx, xlsx or pptx
// (its content-types part and main part), or a plain ZIP archive for "zip".
func Office(kind string) []byte {
	main := map[string]string{"docx": "word/document.xml", "xlsx": "xl/workbook.xml", "pptx": "ppt/presentation.xml", "zip": "notes/readme.xml"}[kind]
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range []string{"[Content_Types].xml", "_rels/.rels", main} {
		if kind == "zip" && name == "[Content_Types].xml" {
			continue
		}
		w, err := zw.Create(name)
		if err != nil {
			panic(err)
		}
		if _, err := w.Write([]byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><x/>`)); err != nil {
			panic(err)
		}
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}
