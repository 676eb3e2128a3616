//! The protobuf wire format, read without a schema: a message is a run of fields, each a
//! number and a value (a varint, or bytes of a given length: a string, a nested message
//! or a map entry). Readers match the numbers they keep and step over the rest by their
//! length, so what storectl never reads (specs, managed fields) is not parsed at all.

use thiserror::Error;

/// Bytes that are not a well-formed protobuf message.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("malformed protobuf: {0}")]
pub struct WireError(pub &'static str);

/// A field's value, as the wire holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    /// An integer or a bool (negative int64 values in two's complement).
    Varint(u64),
    /// A string, bytes, a nested message or a map entry.
    Bytes(&'a [u8]),
    /// A fixed 32- or 64-bit value (no kept field has one).
    Fixed,
}

/// The fields of one message, in the order written.
pub fn fields(message: &[u8]) -> Fields<'_> {
    Fields { rest: message }
}

pub struct Fields<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u32, Value<'a>), WireError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let field = self.field();
        if field.is_err() {
            self.rest = &[];
        }
        Some(field)
    }
}

impl<'a> Fields<'a> {
    fn field(&mut self) -> Result<(u32, Value<'a>), WireError> {
        let key = self.varint()?;
        let number = u32::try_from(key >> 3).map_err(|_| WireError("field number too large"))?;
        let value = match key & 7 {
            0 => Value::Varint(self.varint()?),
            1 => self.skip(8).map(|_| Value::Fixed)?,
            2 => {
                let len =
                    usize::try_from(self.varint()?).map_err(|_| WireError("length too large"))?;
                Value::Bytes(self.skip(len)?)
            }
            5 => self.skip(4).map(|_| Value::Fixed)?,
            _ => return Err(WireError("unsupported wire type")),
        };
        Ok((number, value))
    }

    fn varint(&mut self) -> Result<u64, WireError> {
        let mut value = 0u64;
        for (i, byte) in self.rest.iter().enumerate().take(10) {
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                self.rest = &self.rest[i + 1..];
                return Ok(value);
            }
        }
        Err(WireError("truncated varint"))
    }

    fn skip(&mut self, len: usize) -> Result<&'a [u8], WireError> {
        if len > self.rest.len() {
            return Err(WireError("truncated field"));
        }
        let (taken, rest) = self.rest.split_at(len);
        self.rest = rest;
        Ok(taken)
    }
}

/// A string field's text.
pub fn text(bytes: &[u8]) -> Result<&str, WireError> {
    std::str::from_utf8(bytes).map_err(|_| WireError("a string is not UTF-8"))
}

/// A map entry (`map<string, V>` is a repeated message of key 1 and value 2): its key
/// and its value's bytes (empty when absent).
pub fn entry(bytes: &[u8]) -> Result<(&str, &[u8]), WireError> {
    let (mut key, mut value): (&[u8], &[u8]) = (&[], &[]);
    for field in fields(bytes) {
        match field? {
            (1, Value::Bytes(b)) => key = b,
            (2, Value::Bytes(b)) => value = b,
            _ => {}
        }
    }
    Ok((text(key)?, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_read_in_order_and_unknown_ones_stepped_over() {
        // 1: varint 150; 2: "hi"; 3: fixed64; 4: fixed32; 5: varint -1 (ten bytes).
        let mut message = vec![0x08, 0x96, 0x01, 0x12, 2, b'h', b'i', 0x19];
        message.extend([0; 8]);
        message.extend([0x25, 0, 0, 0, 0, 0x28]);
        message.extend([0xff; 9]);
        message.push(0x01);
        let read: Vec<_> = fields(&message).collect::<Result<_, _>>().unwrap();
        assert_eq!(
            read,
            [
                (1, Value::Varint(150)),
                (2, Value::Bytes(b"hi")),
                (3, Value::Fixed),
                (4, Value::Fixed),
                (5, Value::Varint(u64::MAX)),
            ]
        );
    }

    #[test]
    fn a_cut_message_is_an_error_not_a_panic() {
        for cut in [&[0x12, 5, b'a'][..], &[0x08, 0x80], &[0x19, 0, 0], &[0x0b]] {
            let read: Result<Vec<_>, _> = fields(cut).collect();
            assert!(read.is_err(), "{cut:?}");
        }
        assert_eq!(
            fields(&[0x12, 5, b'a']).count(),
            1,
            "the error ends the fields"
        );
    }

    #[test]
    fn a_map_entry_gives_its_key_and_value() {
        let entry_bytes = [0x0a, 1, b'k', 0x12, 2, b'v', b'w'];
        assert_eq!(entry(&entry_bytes).unwrap(), ("k", &b"vw"[..]));
        assert_eq!(entry(&[0x0a, 1, b'k']).unwrap(), ("k", &b""[..]));
        assert!(entry(&[0x0a, 1, 0xff]).is_err());
    }
}
