//! The total-transfer file and the result file, byte by byte and error by error.

use zengin::{
    AccountType, CustomerReference, Designation, FileError, LineEnding, NewCode, RecordKind, ResultFile, ResultRecord,
    TransferDate, TransferFile, TransferHeader, TransferRecord, TransferResult, encode, encode_result, encode_with,
    holder_name, parse, parse_result, requester_name,
};

fn sample() -> TransferFile {
    let header = TransferHeader {
        requester_code: "0000012345".into(),
        requester_name: requester_name("カブシキガイシャ アンシン").unwrap(),
        transfer_date: TransferDate::new(4, 25).unwrap(),
        bank_code: "0001".into(),
        bank_name: zengin::bank("0001").unwrap().kana.into(),
        branch_code: "001".into(),
        branch_name: zengin::branch("0001", "001").unwrap().kana.into(),
        account_type: AccountType::Ordinary,
        account_number: "1234567".into(),
    };
    let to_yamada = TransferRecord {
        bank_code: "0009".into(),
        bank_name: "ﾐﾂｲｽﾐﾄﾓ".into(),
        branch_code: "001".into(),
        branch_name: "ｼﾞﾝﾎﾞｳﾁﾖｳ".into(),
        clearing_house: String::new(),
        account_type: AccountType::Ordinary,
        account_number: "7654321".into(),
        recipient_name: holder_name("ヤマダ タロウ").unwrap(),
        amount_yen: 12_345,
        new_code: NewCode::FirstTransfer,
        customer: CustomerReference::Codes { code1: "0000000001".into(), code2: String::new() },
        designation: Some(Designation::Telegraphic),
    };
    let to_a_company = TransferRecord {
        bank_code: "9900".into(),
        bank_name: "ﾕｳﾁﾖ".into(),
        branch_code: "018".into(),
        branch_name: "ｾﾞﾛｲﾁﾊﾁ".into(),
        clearing_house: "0000".into(),
        account_type: AccountType::Current,
        account_number: "0000042".into(),
        recipient_name: holder_name("アンシン株式会社").unwrap(),
        amount_yen: 1_000_000,
        new_code: NewCode::Other,
        customer: CustomerReference::Edi("PAYOUT 42".into()),
        designation: None,
    };
    TransferFile { header, records: vec![to_yamada, to_a_company] }
}

fn padded(bytes: &[u8], width: usize) -> Vec<u8> {
    assert!(bytes.len() <= width);
    let mut out = bytes.to_vec();
    out.resize(width, b' ');
    out
}

/// Checks that `fields` tile the record from byte 0 to 120 and that each holds its bytes.
fn assert_fields(record: &[u8], fields: &[(&str, usize, Vec<u8>)]) {
    assert_eq!(record.len(), 120);
    let mut at = 0;
    for (name, start, expected) in fields {
        assert_eq!(*start, at, "{name} starts where the previous field ends");
        let found = &record[at..at + expected.len()];
        assert_eq!(found, expected.as_slice(), "{name} at {at}: {:?}", String::from_utf8_lossy(found));
        at += expected.len();
    }
    assert_eq!(at, 120);
}

#[test]
fn the_golden_file_is_written_field_by_field() {
    let bytes = encode(&sample()).unwrap();
    assert_eq!(bytes.len(), 5 * 122);
    let records: Vec<&[u8]> = bytes.chunks(122).map(|chunk| &chunk[..120]).collect();
    assert!(bytes.chunks(122).all(|chunk| chunk.ends_with(b"\r\n")));

    assert_fields(
        records[0],
        &[
            ("data type", 0, b"1".to_vec()),
            ("kind code", 1, b"21".to_vec()),
            ("code division", 3, b"0".to_vec()),
            ("requester code", 4, b"0000012345".to_vec()),
            ("requester name ｶ)ｱﾝｼﾝ", 14, padded(b"\xb6)\xb1\xdd\xbc\xdd", 40)),
            ("transfer date", 54, b"0425".to_vec()),
            ("bank code", 58, b"0001".to_vec()),
            ("bank name ﾐｽﾞﾎ", 62, padded(b"\xd0\xbd\xde\xce", 15)),
            ("branch code", 77, b"001".to_vec()),
            ("branch name ﾄｳｷﾖｳ", 80, padded(b"\xc4\xb3\xb7\xd6\xb3", 15)),
            ("account type", 95, b"1".to_vec()),
            ("account number", 96, b"1234567".to_vec()),
            ("dummy", 103, padded(b"", 17)),
        ],
    );
    assert_fields(
        records[1],
        &[
            ("data type", 0, b"2".to_vec()),
            ("bank code", 1, b"0009".to_vec()),
            ("bank name ﾐﾂｲｽﾐﾄﾓ", 5, padded(b"\xd0\xc2\xb2\xbd\xd0\xc4\xd3", 15)),
            ("branch code", 20, b"001".to_vec()),
            ("branch name ｼﾞﾝﾎﾞｳﾁﾖｳ", 23, padded(b"\xbc\xde\xdd\xce\xde\xb3\xc1\xd6\xb3", 15)),
            ("clearing house", 38, padded(b"", 4)),
            ("account type", 42, b"1".to_vec()),
            ("account number", 43, b"7654321".to_vec()),
            ("recipient name ﾔﾏﾀﾞ ﾀﾛｳ", 50, padded(b"\xd4\xcf\xc0\xde \xc0\xdb\xb3", 30)),
            ("amount", 80, b"0000012345".to_vec()),
            ("new code", 90, b"1".to_vec()),
            ("customer code 1", 91, b"0000000001".to_vec()),
            ("customer code 2", 101, padded(b"", 10)),
            ("designation", 111, b"7".to_vec()),
            ("identification", 112, b" ".to_vec()),
            ("dummy", 113, padded(b"", 7)),
        ],
    );
    assert_fields(
        records[2],
        &[
            ("data type", 0, b"2".to_vec()),
            ("bank code", 1, b"9900".to_vec()),
            ("bank name ﾕｳﾁﾖ", 5, padded(b"\xd5\xb3\xc1\xd6", 15)),
            ("branch code", 20, b"018".to_vec()),
            ("branch name ｾﾞﾛｲﾁﾊﾁ", 23, padded(b"\xbe\xde\xdb\xb2\xc1\xca\xc1", 15)),
            ("clearing house", 38, b"0000".to_vec()),
            ("account type", 42, b"2".to_vec()),
            ("account number", 43, b"0000042".to_vec()),
            ("recipient name ｱﾝｼﾝ(ｶ", 50, padded(b"\xb1\xdd\xbc\xdd(\xb6", 30)),
            ("amount", 80, b"0001000000".to_vec()),
            ("new code", 90, b"0".to_vec()),
            ("EDI", 91, padded(b"PAYOUT 42", 20)),
            ("designation", 111, b" ".to_vec()),
            ("identification", 112, b"Y".to_vec()),
            ("dummy", 113, padded(b"", 7)),
        ],
    );
    assert_fields(
        records[3],
        &[
            ("data type", 0, b"8".to_vec()),
            ("total count", 1, b"000002".to_vec()),
            ("total amount", 7, b"000001012345".to_vec()),
            ("dummy", 19, padded(b"", 101)),
        ],
    );
    assert_fields(records[4], &[("data type", 0, b"9".to_vec()), ("dummy", 1, padded(b"", 119))]);

    assert_eq!(parse(&bytes).unwrap(), sample());
}

#[test]
fn records_without_line_breaks_read_back_the_same() {
    let bytes = encode_with(&sample(), LineEnding::None).unwrap();
    assert_eq!(bytes.len(), 5 * 120);
    assert_eq!(parse(&bytes).unwrap(), sample());
    let mut without_last_break = encode(&sample()).unwrap();
    without_last_break.truncate(without_last_break.len() - 2);
    assert_eq!(parse(&without_last_break).unwrap(), sample());
}

fn field_error(error: FileError) -> (usize, RecordKind, &'static str, usize) {
    match error {
        FileError::Field { record, kind, field, offset, .. } => (record, kind, field, offset),
        other => panic!("expected a field error, got {other:?}"),
    }
}

#[test]
fn writing_refuses_what_the_layout_cannot_hold() {
    let mut file = sample();
    file.header.bank_name = "みずほ".into();
    assert_eq!(field_error(encode(&file).unwrap_err()), (1, RecordKind::Header, "bank_name", 62));

    let mut file = sample();
    file.records[1].amount_yen = 0;
    assert_eq!(field_error(encode(&file).unwrap_err()), (3, RecordKind::Data, "amount_yen", 2 * 122 + 80));
    file.records[1].amount_yen = 10_000_000_000;
    assert_eq!(field_error(encode(&file).unwrap_err()), (3, RecordKind::Data, "amount_yen", 2 * 122 + 80));

    let mut file = sample();
    file.records[0].recipient_name = requester_name(&"ア".repeat(31)).unwrap();
    let error = encode(&file).unwrap_err();
    assert!(error.to_string().contains("31 characters"), "{error}");
    assert_eq!(field_error(error), (2, RecordKind::Data, "recipient_name", 122 + 50));

    let mut file = sample();
    file.records[0].account_number = "123456".into();
    assert_eq!(field_error(encode(&file).unwrap_err()), (2, RecordKind::Data, "account_number", 122 + 43));

    let mut file = sample();
    file.header.account_type = AccountType::Savings;
    assert_eq!(field_error(encode(&file).unwrap_err()), (1, RecordKind::Header, "account_type", 95));

    let mut file = sample();
    file.records[0].customer = CustomerReference::Codes { code1: String::new(), code2: String::new() };
    assert_eq!(field_error(encode(&file).unwrap_err()).2, "customer");

    let mut file = sample();
    file.records.clear();
    assert_eq!(encode(&file), Err(FileError::RecordCount { count: 0, max: zengin::MAX_RECORDS }));
}

fn with_bytes(offset: usize, replacement: &[u8]) -> Vec<u8> {
    let mut bytes = encode(&sample()).unwrap();
    bytes[offset..offset + replacement.len()].copy_from_slice(replacement);
    bytes
}

#[test]
fn reading_names_the_record_field_and_byte_of_each_problem() {
    let error = parse(&with_bytes(3 * 122 + 7, b"000001012346")).unwrap_err();
    let message = error.to_string();
    assert!(message.contains("000001012345") && message.contains("\"000001012346\""), "{message}");
    assert_eq!(field_error(error), (4, RecordKind::Trailer, "total_amount", 3 * 122 + 7));

    let error = parse(&with_bytes(3 * 122 + 1, b"000003")).unwrap_err();
    assert_eq!(field_error(error), (4, RecordKind::Trailer, "total_count", 3 * 122 + 1));

    let error = parse(&with_bytes(1, b"11")).unwrap_err();
    assert_eq!(field_error(error), (1, RecordKind::Header, "kind_code", 1));

    let error = parse(&with_bytes(122 + 85, b"x")).unwrap_err();
    assert_eq!(field_error(error), (2, RecordKind::Data, "amount_yen", 122 + 80));

    let error = parse(&with_bytes(122 + 52, b"\x82")).unwrap_err();
    assert_eq!(field_error(error), (2, RecordKind::Data, "recipient_name", 122 + 52));

    let error = parse(&with_bytes(54, b"0230")).unwrap_err();
    assert_eq!(field_error(error), (1, RecordKind::Header, "transfer_date", 54));

    let error = parse(&with_bytes(2 * 122, b"8")).unwrap_err();
    assert_eq!(field_error(error), (3, RecordKind::Trailer, "total_count", 2 * 122 + 1));
}

#[test]
fn reading_refuses_broken_framing() {
    let bytes = encode(&sample()).unwrap();
    let framing_offset = |bytes: &[u8]| match parse(bytes) {
        Err(FileError::Framing { offset, .. }) => offset,
        other => panic!("expected a framing error, got {other:?}"),
    };
    assert_eq!(framing_offset(&bytes[..bytes.len() - 5]), 4 * 122);
    assert_eq!(framing_offset(&bytes[..4 * 122]), 4 * 122, "no end record");
    assert_eq!(framing_offset(&[bytes.clone(), bytes[..122].to_vec()].concat()), 5 * 122, "a record after the end");
    let lf_only: Vec<u8> = bytes.iter().copied().filter(|&b| b != b'\r').collect();
    assert_eq!(framing_offset(&lf_only), 120);
    assert_eq!(framing_offset(b""), 0);

    let no_data = [&bytes[..122], &bytes[3 * 122..]].concat();
    assert_eq!(parse(&no_data), Err(FileError::RecordCount { count: 0, max: zengin::MAX_RECORDS }));
}

fn sample_results() -> ResultFile {
    let file = sample();
    let results = [TransferResult::Paid, TransferResult::NameMismatch];
    let records =
        file.records.into_iter().zip(results).map(|(transfer, result)| ResultRecord { transfer, result }).collect();
    ResultFile { header: file.header, records }
}

#[test]
fn a_result_file_is_the_transfer_file_with_a_result_per_record() {
    let bytes = encode_result(&sample_results()).unwrap();
    let transfer = encode(&sample()).unwrap();
    assert_eq!(bytes[..122], transfer[..122], "the header comes back unchanged");
    for (index, code) in [(1, b'0'), (2, b'2')] {
        let (result, request) = (&bytes[index * 122..][..120], &transfer[index * 122..][..120]);
        assert_eq!(result[..113], request[..113], "record {index}'s fields come back unchanged");
        assert_eq!(result[113], code);
        assert_eq!(result[114..], request[114..]);
    }
    assert_fields(
        &bytes[3 * 122..][..120],
        &[
            ("data type", 0, b"8".to_vec()),
            ("total count", 1, b"000002".to_vec()),
            ("total amount", 7, b"000001012345".to_vec()),
            ("paid count", 19, b"000001".to_vec()),
            ("paid amount", 25, b"000000012345".to_vec()),
            ("returned count", 37, b"000001".to_vec()),
            ("returned amount", 43, b"000001000000".to_vec()),
            ("dummy", 55, padded(b"", 65)),
        ],
    );
    assert_eq!(parse_result(&bytes).unwrap(), sample_results());

    // Each reader refuses the other's file at the byte where they differ.
    assert_eq!(field_error(parse(&bytes).unwrap_err()), (2, RecordKind::Data, "dummy", 122 + 113));
    assert_eq!(field_error(parse_result(&transfer).unwrap_err()), (2, RecordKind::Data, "result", 122 + 113));
}

#[test]
fn a_result_trailer_must_split_the_totals_by_result() {
    let mut bytes = encode_result(&sample_results()).unwrap();
    bytes[3 * 122 + 19..3 * 122 + 25].copy_from_slice(b"000002");
    assert_eq!(field_error(parse_result(&bytes).unwrap_err()), (4, RecordKind::Trailer, "paid_count", 3 * 122 + 19));
    let mut bytes = encode_result(&sample_results()).unwrap();
    bytes[122 + 113] = b'5';
    assert_eq!(field_error(parse_result(&bytes).unwrap_err()), (2, RecordKind::Data, "result", 122 + 113));
}
