namespace OtelStorage.Storage.Blocks.V1;

/// <summary>
/// Walks the length-delimited fields of encoded protobuf without decoding it, skipping the other wire types. A search
/// uses it to look for an attribute in a stored span before paying for the span's decode.
/// </summary>
internal ref struct EncodedFields(ReadOnlySpan<byte> bytes)
{
    private readonly ReadOnlySpan<byte> _bytes = bytes;
    private int _at;

    /// <summary>The field number of the current field.</summary>
    public int Number { get; private set; }

    /// <summary>The current field's bytes.</summary>
    public ReadOnlySpan<byte> Payload { get; private set; }

    /// <summary>
    /// True once the walk met bytes it does not handle (a group, an unknown wire type, a field running past the end):
    /// the caller should decode the message instead.
    /// </summary>
    public bool Unreadable { get; private set; }

    public bool MoveNext()
    {
        while (_at < _bytes.Length)
        {
            var tag = ReadVarint();
            switch (tag & 7)
            {
                case 0:
                    ReadVarint();
                    break;
                case 1:
                    _at += 8;
                    break;
                case 5:
                    _at += 4;
                    break;
                case 2:
                    var length = ReadVarint();
                    if (length > (ulong)(_bytes.Length - _at))
                    {
                        Unreadable = true;
                        return false;
                    }

                    Number = (int)(tag >> 3);
                    Payload = _bytes.Slice(_at, (int)length);
                    _at += (int)length;
                    return true;
                default:
                    Unreadable = true;
                    return false;
            }
        }

        Unreadable = _at != _bytes.Length;
        return false;
    }

    private ulong ReadVarint()
    {
        ulong value = 0;
        for (var shift = 0; shift < 64 && _at < _bytes.Length; shift += 7)
        {
            var b = _bytes[_at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw new InvalidDataException("a varint cut off or longer than 10 bytes in a stored span");
    }
}
