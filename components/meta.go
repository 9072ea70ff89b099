package components

// Meta is what a shared link to a page shows (Open Graph and the
// description): its summary, its kind (article for a piece of content,
// website for a list) and an image. Empty fields fall back to the site's
// description and default image.
type Meta struct {
	Description string
	Type        string // og:type; "" is website
	Image       string // an absolute or root-relative URL; "" is the default image
}
