//! Reads at an offset of a file, from any thread at once: how a released file's excerpts and
//! columns, a long list's windows and a large file's parts are read.
//!
//! Unix has `read_exact_at`. Windows has `seek_read`, which reads at the offset it is given
//! (it also moves the handle's position, which no reader here uses) and may read less than
//! asked, so it is called until the buffer is full. Elsewhere there is no such read:
//! [`SUPPORTED`] is false, and files are read whole.

use std::fs::File;
use std::io;

/// Whether [`read_exact_at`] can read on this platform.
pub const SUPPORTED: bool = cfg!(any(unix, windows));

/// `len` bytes of `file` from `offset`; an `UnexpectedEof` error when the file ends first.
pub fn read_at(file: &File, offset: u64, len: usize) -> io::Result<Vec<u8>> {
    let mut bytes = vec![0; len];
    read_exact_at(file, &mut bytes, offset)?;
    Ok(bytes)
}

/// Fill `buf` from `offset` of `file`; an `UnexpectedEof` error when the file ends first.
pub fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
    }
    #[cfg(windows)]
    {
        use std::os::windows::fs::FileExt;
        fill_at(|part, at| file.seek_read(part, at), buf, offset)
    }
    #[cfg(not(any(unix, windows)))]
    {
        let _ = (file, buf, offset);
        Err(io::Error::from(io::ErrorKind::Unsupported))
    }
}

/// Fill `buf` from `offset` with `read`, a positioned read that may read less than asked (0 at
/// the end of the file), as `read_exact_at` does on Unix.
#[cfg(any(windows, test))]
fn fill_at(
    mut read: impl FnMut(&mut [u8], u64) -> io::Result<usize>,
    mut buf: &mut [u8],
    mut offset: u64,
) -> io::Result<()> {
    while !buf.is_empty() {
        match read(buf, offset) {
            Ok(0) => return Err(io::Error::from(io::ErrorKind::UnexpectedEof)),
            Ok(n) => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A positioned read over `data` that reads at most `most` bytes a call and is interrupted
    /// every third call.
    fn short_reads(data: &[u8], most: usize) -> impl FnMut(&mut [u8], u64) -> io::Result<usize> {
        let mut calls = 0;
        move |buf: &mut [u8], at: u64| {
            calls += 1;
            if calls % 3 == 0 {
                return Err(io::Error::from(io::ErrorKind::Interrupted));
            }
            let rest = data.get(at as usize..).unwrap_or_default();
            let n = buf.len().min(most).min(rest.len());
            buf[..n].copy_from_slice(&rest[..n]);
            Ok(n)
        }
    }

    #[test]
    fn short_and_interrupted_reads_fill_the_buffer_from_the_offset() {
        let data: Vec<u8> = (0..=255).collect();
        for most in [1, 3, 7, 64, 1000] {
            let mut buf = vec![0; 100];
            fill_at(short_reads(&data, most), &mut buf, 50).unwrap();
            assert_eq!(buf, &data[50..150], "at most {most} bytes a read");
        }
    }

    #[test]
    fn a_file_that_ends_first_is_an_unexpected_end() {
        let data = b"0123456789";
        let mut buf = [0; 8];
        let err = fill_at(short_reads(data, 3), &mut buf, 5).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        let mut empty = [0; 0];
        fill_at(short_reads(data, 3), &mut empty, 99).unwrap();
    }

    #[test]
    fn other_errors_are_returned() {
        let mut buf = [0; 4];
        let denied = |_: &mut [u8], _: u64| Err(io::Error::from(io::ErrorKind::PermissionDenied));
        let err = fill_at(denied, &mut buf, 0).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
    }

    #[test]
    fn a_file_is_read_at_offsets_from_several_threads() {
        let dir = std::env::temp_dir().join(format!("baselint-positioned-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("data.bin");
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        let file = File::open(&path).unwrap();
        std::thread::scope(|scope| {
            for start in [0, 4096, 33_333, 99_000] {
                let (file, data) = (&file, &data);
                scope.spawn(move || {
                    let mut buf = vec![0; 1000];
                    read_exact_at(file, &mut buf, start as u64).unwrap();
                    assert_eq!(buf, &data[start..start + 1000]);
                });
            }
        });
        let mut past_end = vec![0; 10];
        let err = read_exact_at(&file, &mut past_end, 99_995).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        // Closed first: Windows removes no open file.
        drop(file);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
