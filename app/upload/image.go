package upload

import (
	"bytes"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"
)

// SmallWidth is the widest the phone-sized copy of an image is, in pixels.
const SmallWidth = 800

// MaxPixels bounds what an image may unpack to (a 10 MB PNG of one colour
// could claim 30,000 × 30,000 pixels, 3.6 GB in memory): 50 megapixels
// holds any phone or camera photo.
const MaxPixels = 50_000_000

// Prepared is an image ready to store.
type Prepared struct {
	Original      []byte // the file without its metadata, pixels untouched
	Width, Height int    // as displayed
	Small         []byte // at most SmallWidth wide, re-encoded
	SmallType     string // JPEG for photos, PNG for the rest
}

// Image removes the metadata of an image of type ct — EXIF (with the GPS
// position a phone writes), XMP, IPTC, comments — keeping only the
// orientation, and makes the phone-sized copy: scaled with Catmull-Rom to
// at most SmallWidth pixels wide, turned as the orientation says, and
// encoded anew, so it carries no metadata at all.
func Image(ct string, data []byte) (*Prepared, error) {
	cfg, err := decodeConfig(ct, data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadImage, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, ErrBadImage
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return nil, ErrHuge
	}
	original, orientation, err := StripMetadata(ct, data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadImage, err)
	}
	src, err := decode(ct, original)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadImage, err)
	}
	sb := src.Bounds()
	turned := orientation >= 5 // shown with width and height exchanged
	w, h := sb.Dx(), sb.Dy()
	if turned {
		w, h = h, w
	}
	p := &Prepared{Original: original, Width: w, Height: h}

	// Scale first, in the stored orientation, then turn the small image.
	tw, th := w, h
	if tw > SmallWidth {
		tw, th = SmallWidth, max(1, (h*SmallWidth+w/2)/w)
	}
	sw, sh := tw, th
	if turned {
		sw, sh = th, tw
	}
	scaled := image.NewRGBA(image.Rect(0, 0, sw, sh))
	if sw == sb.Dx() && sh == sb.Dy() {
		draw.Draw(scaled, scaled.Bounds(), src, sb.Min, draw.Src)
	} else {
		draw.CatmullRom.Scale(scaled, scaled.Bounds(), src, sb, draw.Src, nil)
	}
	small := orient(scaled, orientation)

	var buf bytes.Buffer
	if ct == JPEG || (ct == WebP && opaque(src)) {
		p.SmallType = JPEG
		err = jpeg.Encode(&buf, small, &jpeg.Options{Quality: 85})
	} else {
		p.SmallType = PNG
		err = (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, small)
	}
	if err != nil {
		return nil, fmt.Errorf("upload: encode small image: %w", err)
	}
	p.Small = buf.Bytes()
	return p, nil
}

func decodeConfig(ct string, data []byte) (image.Config, error) {
	r := bytes.NewReader(data)
	switch ct {
	case JPEG:
		return jpeg.DecodeConfig(r)
	case PNG:
		return png.DecodeConfig(r)
	case GIF:
		return gif.DecodeConfig(r)
	case WebP:
		return webp.DecodeConfig(r)
	}
	return image.Config{}, fmt.Errorf("not an image type: %s", ct)
}

// decode reads the image (a GIF's first frame).
func decode(ct string, data []byte) (image.Image, error) {
	r := bytes.NewReader(data)
	switch ct {
	case JPEG:
		return jpeg.Decode(r)
	case PNG:
		return png.Decode(r)
	case GIF:
		return gif.Decode(r)
	case WebP:
		return webp.Decode(r)
	}
	return nil, fmt.Errorf("not an image type: %s", ct)
}

func opaque(m image.Image) bool {
	if o, ok := m.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	return false
}

// orient turns m as EXIF orientation o says it is to be shown (1: as
// stored; 2–4: mirrored or upside down; 5–8: a quarter turn, with or
// without a mirror).
func orient(m *image.RGBA, o int) *image.RGBA {
	if o < 2 || o > 8 {
		return m
	}
	W, H := m.Bounds().Dx(), m.Bounds().Dy()
	dw, dh := W, H
	if o >= 5 {
		dw, dh = H, W
	}
	d := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := 0; y < dh; y++ {
		for x := 0; x < dw; x++ {
			var sx, sy int
			switch o {
			case 2:
				sx, sy = W-1-x, y
			case 3:
				sx, sy = W-1-x, H-1-y
			case 4:
				sx, sy = x, H-1-y
			case 5:
				sx, sy = y, x
			case 6:
				sx, sy = y, H-1-x
			case 7:
				sx, sy = W-1-y, H-1-x
			case 8:
				sx, sy = W-1-y, x
			}
			si, di := m.PixOffset(sx, sy), d.PixOffset(x, y)
			copy(d.Pix[di:di+4], m.Pix[si:si+4])
		}
	}
	return d
}
