//! Municipi, NIL, point-in-polygon and SVG maps of Milan.
