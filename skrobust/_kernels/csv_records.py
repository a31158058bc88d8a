"""Record boundaries and field counts of CSV bytes, in one pass.

The batch scorer cuts a CSV file into blocks of whole records that threads
then parse, and checks on the way that every record has as many fields as
the header (pandas' reader, given the columns to keep, fills a short row with
NaN and drops extra fields without a word). Quoting is pandas' default: a
double quote toggles quoting, ``""`` inside quotes is two toggles, and the
comma and newline inside quotes are data. Empty lines (``\\n`` or
``\\r\\n`` alone) are skipped, as pandas skips them.
"""

from numba import njit

NEWLINE, CARRIAGE_RETURN, COMMA, QUOTE = 10, 13, 44, 34


@njit(cache=True, nogil=True)
def scan_records(buffer, n_fields, max_records, final):
    """Scan ``buffer`` (uint8) from its start, a record boundary.

    Stops after ``max_records`` non-empty records or at the end of the
    buffer; there, a record without its newline counts only if ``final``.
    Returns ``(end, records, lines, bad_line, bad_fields)``: the offset just
    past the last whole record, the records in ``buffer[:end]``, the
    newlines in it, and for the first record whose field count differs from
    ``n_fields`` its line (0 = the buffer's first) and field count, the scan
    stopping there (``bad_line`` is -1 when every record has ``n_fields``).
    """
    n = buffer.shape[0]
    end = 0
    records = 0
    lines = 0
    lines_at_end = 0
    quoted = False
    fields = 1
    empty = True  # nothing but a carriage return since the record began
    line_of_record = 0
    position = 0
    while position < n and records < max_records:
        byte = buffer[position]
        position += 1
        if byte > COMMA and not quoted:
            # digits, letters, '.', '-': most bytes, past one well-predicted
            # branch (the full chain below halves the scan's speed)
            empty = False
            continue
        if byte == QUOTE:
            quoted = not quoted
            empty = False
        elif quoted:
            if byte == NEWLINE:
                lines += 1
        elif byte == COMMA:
            fields += 1
            empty = False
        elif byte == NEWLINE:
            lines += 1
            if not empty:
                if fields != n_fields:
                    return end, records, lines_at_end, line_of_record, fields
                records += 1
            end = position
            lines_at_end = lines
            fields = 1
            empty = True
            line_of_record = lines
        elif byte != CARRIAGE_RETURN:
            empty = False
    if final and position == n and end < n and records < max_records and not empty:
        if fields != n_fields:
            return end, records, lines_at_end, line_of_record, fields
        records += 1
        end = n
        lines_at_end = lines
    return end, records, lines_at_end, -1, 0
