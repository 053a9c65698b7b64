//! EMVCo QR payment codes, read and written, with no I/O.
//!
//! - [`mpm`]: merchant-presented mode, the `ID LEN VALUE` text a shop shows (JPQR, Pix, PromptPay,
//!   SGQR, QRIS…), checked by CRC-16/CCITT-FALSE.
//! - [`cpm`]: consumer-presented mode, base64 of BER-TLV, the code a wallet shows at the till.
//!
//! Structure and checksum errors are errors, with the tag, the offset and what was expected;
//! departures from EMVCo that national schemes make are warnings returned beside a successful
//! decode. Encoders refuse anything their decoder would refuse or read back differently, so
//! `decode(encode(x)) == x` for everything they accept.

pub mod cpm;
pub mod crc;
pub mod mpm;
