//! The wire format shared by requests and responses (see PROTOCOL.md): a magic, two big-endian lengths, a text
//! header of `key=value` lines and raw byte sections. Text keeps the header debuggable with `xxd`; raw sections
//! keep bitcode out of any escaping. No knowledge here of what the keys mean.

use std::io::{self, Read, Write};

pub const MAGIC: &[u8; 4] = b"JZW1";
const MAX_HEADER: u32 = 1 << 20;
const MAX_BODY: u32 = 1 << 30;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frame {
    /// Header entries in order; a key may repeat only as `section`, which the codec manages.
    pub fields: Vec<(String, String)>,
    /// Named binary sections, in order.
    pub sections: Vec<(String, Vec<u8>)>,
}

/// Why a frame could not be read: the stream ended cleanly between frames, or it is broken.
#[derive(Debug)]
pub enum ReadError {
    EndOfStream,
    Broken(String),
}

impl Frame {
    pub fn new() -> Frame {
        Frame::default()
    }

    pub fn with(mut self, key: &str, value: impl ToString) -> Frame {
        self.fields.push((key.to_string(), value.to_string()));
        self
    }

    pub fn with_section(mut self, name: &str, bytes: Vec<u8>) -> Frame {
        self.sections.push((name.to_string(), bytes));
        self
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    pub fn section(&self, name: &str) -> Option<&[u8]> {
        self.sections.iter().find(|(n, _)| n == name).map(|(_, b)| b.as_slice())
    }

    pub fn write_to(&self, out: &mut impl Write) -> io::Result<()> {
        let mut header = String::new();
        for (key, value) in &self.fields {
            assert!(!key.contains(['=', '\n']) && !value.contains('\n'), "unencodable header field {key}={value}");
            header.push_str(&format!("{key}={value}\n"));
        }
        for (name, bytes) in &self.sections {
            header.push_str(&format!("section={name}:{}\n", bytes.len()));
        }
        let body_len: usize = self.sections.iter().map(|(_, b)| b.len()).sum();
        let mut bytes = Vec::with_capacity(12 + header.len() + body_len);
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&(header.len() as u32).to_be_bytes());
        bytes.extend_from_slice(&(body_len as u32).to_be_bytes());
        bytes.extend_from_slice(header.as_bytes());
        for (_, section) in &self.sections {
            bytes.extend_from_slice(section);
        }
        out.write_all(&bytes)?;
        out.flush()
    }

    pub fn read_from(input: &mut impl Read) -> Result<Frame, ReadError> {
        let mut prefix = [0u8; 12];
        match read_fully(input, &mut prefix) {
            Ok(0) => return Err(ReadError::EndOfStream),
            Ok(n) if n < prefix.len() => return Err(broken(format!("stream ended inside a frame prefix ({n} of 12 bytes)"))),
            Ok(_) => {}
            Err(e) => return Err(broken(format!("reading a frame prefix: {e}"))),
        }
        if &prefix[0..4] != MAGIC {
            return Err(broken(format!("expected magic {:?}, got {:?}", MAGIC, &prefix[0..4])));
        }
        let header_len = u32::from_be_bytes(prefix[4..8].try_into().unwrap());
        let body_len = u32::from_be_bytes(prefix[8..12].try_into().unwrap());
        if header_len > MAX_HEADER || body_len > MAX_BODY {
            return Err(broken(format!("frame too large: header {header_len} bytes, body {body_len} bytes")));
        }
        let header = read_exact(input, header_len as usize, "header")?;
        let header = String::from_utf8(header).map_err(|_| broken("header is not UTF-8".to_string()))?;
        let mut frame = Frame::new();
        let mut section_lengths = Vec::new();
        for line in header.lines() {
            let (key, value) = line
                .split_once('=')
                .ok_or_else(|| broken(format!("expected a header line key=value, got '{line}'")))?;
            if key == "section" {
                let (name, len) = value
                    .rsplit_once(':')
                    .and_then(|(name, len)| Some((name.to_string(), len.parse::<usize>().ok()?)))
                    .ok_or_else(|| broken(format!("expected section=<name>:<length>, got '{line}'")))?;
                section_lengths.push((name, len));
            } else {
                frame.fields.push((key.to_string(), value.to_string()));
            }
        }
        let declared: usize = section_lengths.iter().map(|(_, len)| len).sum();
        if declared != body_len as usize {
            return Err(broken(format!("sections declare {declared} bytes, the prefix says the body has {body_len}")));
        }
        for (name, len) in section_lengths {
            let bytes = read_exact(input, len, &name)?;
            frame.sections.push((name, bytes));
        }
        Ok(frame)
    }
}

fn broken(message: String) -> ReadError {
    ReadError::Broken(message)
}

fn read_exact(input: &mut impl Read, len: usize, what: &str) -> Result<Vec<u8>, ReadError> {
    let mut bytes = vec![0u8; len];
    match read_fully(input, &mut bytes) {
        Ok(n) if n == len => Ok(bytes),
        Ok(n) => Err(broken(format!("stream ended inside the {what} ({n} of {len} bytes)"))),
        Err(e) => Err(broken(format!("reading the {what}: {e}"))),
    }
}

/// Like `read_exact`, but says how much arrived, so a clean end between frames can be told from a torn frame.
fn read_fully(input: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_fields_and_sections() {
        let frame = Frame::new()
            .with("request", "differentiate")
            .with("args", "const:i32*,active:double")
            .with_section("bitcode", vec![0x42, 0x43, 0, 0xff])
            .with_section("empty", vec![]);
        let mut bytes = Vec::new();
        frame.write_to(&mut bytes).unwrap();
        let mut input = bytes.as_slice();
        assert_eq!(Frame::read_from(&mut input).unwrap(), frame);
        assert!(matches!(Frame::read_from(&mut input), Err(ReadError::EndOfStream)));
    }

    #[test]
    fn rejects_garbage_and_torn_frames() {
        let mut garbage: &[u8] = b"hello world, not a frame";
        match Frame::read_from(&mut garbage) {
            Err(ReadError::Broken(m)) => assert!(m.contains("magic"), "{m}"),
            other => panic!("expected a broken stream, got {other:?}"),
        }
        let mut bytes = Vec::new();
        Frame::new().with_section("bitcode", vec![1; 100]).write_to(&mut bytes).unwrap();
        let mut torn = &bytes[..bytes.len() - 10];
        match Frame::read_from(&mut torn) {
            Err(ReadError::Broken(m)) => assert!(m.contains("90 of 100"), "{m}"),
            other => panic!("expected a torn frame, got {other:?}"),
        }
    }
}
