//! Pictures of codes: a store's code as SVG and PNG for its poster, and the reverse, a photo of
//! a code (PNG) read back to its text on the server for wallets without a camera reader.
//! Pure; bounded in every dimension an upload controls.

use base64::Engine;
use qrcode::{Color, EcLevel, QrCode};

use super::PaymentError;

/// The largest photo accepted, in bytes (a phone's PNG of a poster fits well within this).
pub const MAX_PHOTO_BYTES: usize = 1024 * 1024;
/// The body limit of the two routes that take a photo (base64 in JSON adds a third).
pub const PHOTO_BODY_BYTES: usize = 1536 * 1024;
/// The largest photo accepted, per side in pixels (decoding allocates width × height).
const MAX_PHOTO_SIDE_PX: u32 = 4096;
/// Pixels per module of the PNG poster, and the quiet zone around the code in modules.
const PNG_MODULE_PX: usize = 8;
const QUIET_MODULES: usize = 4;

fn qr(payload: &str) -> Result<QrCode, PaymentError> {
    // M: a poster survives a scratch or a smudge (about 15% of the code).
    QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M)
        .map_err(|e| PaymentError::Identity(crate::identity::IdentityError::Internal(e.to_string())))
}

pub fn svg(payload: &str) -> Result<String, PaymentError> {
    Ok(qr(payload)?.render::<qrcode::render::svg::Color<'_>>().min_dimensions(320, 320).quiet_zone(true).build())
}

/// A greyscale PNG: black modules on white, with the quiet zone the standard asks for.
pub fn png(payload: &str) -> Result<Vec<u8>, PaymentError> {
    let code = qr(payload)?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET_MODULES) * PNG_MODULE_PX;
    let mut pixels = vec![255u8; side * side];
    for (i, c) in colors.iter().enumerate() {
        if *c != Color::Dark {
            continue;
        }
        let (mx, my) = (i % modules + QUIET_MODULES, i / modules + QUIET_MODULES);
        for y in my * PNG_MODULE_PX..(my + 1) * PNG_MODULE_PX {
            pixels[y * side + mx * PNG_MODULE_PX..y * side + (mx + 1) * PNG_MODULE_PX].fill(0);
        }
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, side as u32, side as u32);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let internal =
        |e: png::EncodingError| PaymentError::Identity(crate::identity::IdentityError::Internal(e.to_string()));
    let mut writer = encoder.write_header().map_err(internal)?;
    writer.write_image_data(&pixels).map_err(internal)?;
    writer.finish().map_err(internal)?;
    Ok(out)
}

fn image_invalid() -> PaymentError {
    PaymentError::ScanRefused("image_unreadable")
}

/// A photo sent as base64 (the JSON API).
pub fn read_photo_base64(text: &str) -> Result<String, PaymentError> {
    if text.len() > MAX_PHOTO_BYTES.div_ceil(3) * 4 + 4 {
        return Err(PaymentError::ScanRefused("image_too_large"));
    }
    let bytes = base64::engine::general_purpose::STANDARD.decode(text.trim()).map_err(|_| image_invalid())?;
    read_photo(&bytes)
}

/// The text of the first QR code found in a PNG photo.
pub fn read_photo(bytes: &[u8]) -> Result<String, PaymentError> {
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(PaymentError::ScanRefused("image_too_large"));
    }
    let (width, height, grey) = greyscale(bytes).ok_or_else(image_invalid)?;
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| grey[y * width + x]);
    prepared
        .detect_grids()
        .into_iter()
        .find_map(|grid| grid.decode().ok().map(|(_, text)| text))
        .ok_or(PaymentError::ScanRefused("image_no_code"))
}

/// Decodes a PNG to 8-bit grey, refusing anything past the size limits before allocating.
fn greyscale(bytes: &[u8]) -> Option<(usize, usize, Vec<u8>)> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().ok()?;
    let (w, h) = (reader.info().width, reader.info().height);
    if w == 0 || h == 0 || w > MAX_PHOTO_SIDE_PX || h > MAX_PHOTO_SIDE_PX {
        return None;
    }
    let mut buf = vec![0u8; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut buf).ok()?;
    let channels = frame.color_type.samples();
    let (w, h) = (frame.width as usize, frame.height as usize);
    let data = &buf[..frame.buffer_size()];
    if frame.bit_depth != png::BitDepth::Eight || data.len() < w * h * channels {
        return None;
    }
    let grey = data
        .chunks_exact(channels)
        .take(w * h)
        .map(|px| match channels {
            1 | 2 => px[0],
            // ITU-R BT.601 luma, in integers.
            _ => ((u32::from(px[0]) * 299 + u32::from(px[1]) * 587 + u32::from(px[2]) * 114) / 1000) as u8,
        })
        .collect();
    Some((w, h, grey))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poster_png_reads_back_to_its_payload() {
        let payload = "00020101021126580009jp.anshin011300000000010010204000003060000010406000000";
        let picture = png(payload).unwrap();
        assert_eq!(read_photo(&picture).unwrap(), payload);
        assert!(svg(payload).unwrap().starts_with("<?xml"));
    }

    #[test]
    fn what_is_not_a_photo_of_a_code_is_refused_clearly() {
        assert_eq!(read_photo(b"not a png").unwrap_err(), PaymentError::ScanRefused("image_unreadable"));
        assert_eq!(read_photo_base64("***").unwrap_err(), PaymentError::ScanRefused("image_unreadable"));
        let mut blank = Vec::new();
        let mut e = png::Encoder::new(&mut blank, 64, 64);
        e.set_color(png::ColorType::Grayscale);
        e.set_depth(png::BitDepth::Eight);
        e.write_header().unwrap().write_image_data(&[255u8; 64 * 64]).unwrap();
        assert_eq!(read_photo(&blank).unwrap_err(), PaymentError::ScanRefused("image_no_code"));
    }
}
