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
        let (value, len) = varint_at(self.rest)?.ok_or(WireError("truncated varint"))?;
        self.rest = &self.rest[len..];
        Ok(value)
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

/// A varint at the front of `bytes` and how many bytes it took; None while it is cut
/// short (more may come), an error past the 10 bytes a varint may have.
fn varint_at(bytes: &[u8]) -> Result<Option<(u64, usize)>, WireError> {
    let mut value = 0u64;
    for (i, byte) in bytes.iter().enumerate() {
        if i == 10 {
            return Err(WireError("a varint longer than 10 bytes"));
        }
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok(Some((value, i + 1)));
        }
    }
    Ok(None)
}

/// Where a field starts and ends, read before all of it has arrived (a body read as it
/// streams): its number, the length of its key (and of a length-delimited value's
/// length), and of its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    pub number: u32,
    /// Whether the value is length-delimited (bytes, a string, a nested message).
    pub delimited: bool,
    pub head_len: usize,
    pub value_len: usize,
}

impl Head {
    /// The whole field's length.
    pub fn field_len(&self) -> usize {
        self.head_len + self.value_len
    }
}

/// The head of the field at the front of `bytes`, or None while too little of it is
/// there to tell.
pub fn head(bytes: &[u8]) -> Result<Option<Head>, WireError> {
    let Some((key, key_len)) = varint_at(bytes)? else {
        return Ok(None);
    };
    let number = u32::try_from(key >> 3).map_err(|_| WireError("field number too large"))?;
    let after = &bytes[key_len..];
    let (delimited, len_len, value_len) = match key & 7 {
        0 => match varint_at(after)? {
            Some((_, len)) => (false, 0, len),
            None => return Ok(None),
        },
        1 => (false, 0, 8),
        2 => match varint_at(after)? {
            Some((len, len_len)) => (
                true,
                len_len,
                usize::try_from(len).map_err(|_| WireError("length too large"))?,
            ),
            None => return Ok(None),
        },
        5 => (false, 0, 4),
        _ => return Err(WireError("unsupported wire type")),
    };
    Ok(Some(Head {
        number,
        delimited,
        head_len: key_len + len_len,
        value_len,
    }))
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

    #[test]
    fn a_fields_head_is_told_once_enough_of_it_has_come() {
        // Field 2, bytes of length 300 (a two-byte length); field 5, a varint; field 3,
        // fixed 64.
        let mut bytes = vec![0x12, 0xac, 0x02];
        bytes.extend([b'x'; 300]);
        let delimited = Head {
            number: 2,
            delimited: true,
            head_len: 3,
            value_len: 300,
        };
        assert_eq!(head(&bytes[..1]), Ok(None));
        assert_eq!(head(&bytes[..2]), Ok(None));
        assert_eq!(
            head(&bytes[..3]),
            Ok(Some(delimited)),
            "the value need not be there"
        );
        assert_eq!(delimited.field_len(), 303);
        assert_eq!(head(&[0x28, 0x96]), Ok(None), "a varint value cut short");
        let varint = head(&[0x28, 0x96, 0x01]).unwrap().unwrap();
        assert_eq!((varint.number, varint.field_len()), (5, 3));
        assert_eq!(head(&[0x19]).unwrap().unwrap().field_len(), 9);
        assert!(head(&[0x0b]).is_err(), "a group");
        assert!(head(&[0xff; 11]).is_err(), "a varint past 10 bytes");
    }
}
