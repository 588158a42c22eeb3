using System.Buffers.Binary;

namespace OtelStorage.Otlp.Wire;

/// <summary>
/// A forward-only reader of protobuf wire format (https://protobuf.dev/programming-guides/encoding/) over a
/// span, for scanning OTLP requests without materializing messages. Malformed input throws
/// <see cref="InvalidDataException"/>.
/// </summary>
public ref struct ProtoWire(ReadOnlySpan<byte> buffer)
{
    public const int Varint = 0;
    public const int Fixed64 = 1;
    public const int Len = 2;
    public const int StartGroup = 3;
    public const int EndGroup = 4;
    public const int Fixed32 = 5;

    /// <summary>Group nesting accepted by <see cref="SkipField(int, int)"/>: Google.Protobuf's default recursion limit.</summary>
    public const int MaxGroupDepth = 100;

    private readonly ReadOnlySpan<byte> _buffer = buffer;
    private int _position;

    public readonly bool End => _position >= _buffer.Length;

    public readonly int Position => _position;

    /// <summary>Reads a tag; returns false at the end of the buffer.</summary>
    public bool TryReadTag(out int field, out int wireType)
    {
        if (End)
        {
            field = wireType = 0;
            return false;
        }

        var tag = ReadVarint();
        field = (int)(tag >> 3);
        wireType = (int)(tag & 7);
        if (field <= 0)
        {
            throw new InvalidDataException($"protobuf field number {field} at offset {_position} is invalid");
        }

        return true;
    }

    public ulong ReadVarint()
    {
        ulong result = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (_position >= _buffer.Length)
            {
                throw new InvalidDataException("protobuf varint is truncated");
            }

            var b = _buffer[_position++];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }

        throw new InvalidDataException("protobuf varint is longer than 10 bytes");
    }

    public ulong ReadFixed64()
    {
        var value = BinaryPrimitives.ReadUInt64LittleEndian(Take(8));
        return value;
    }

    public uint ReadFixed32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    public ReadOnlySpan<byte> ReadLengthDelimited()
    {
        var length = ReadVarint();
        if (length > int.MaxValue)
        {
            throw new InvalidDataException("protobuf length is out of range");
        }

        return Take((int)length);
    }

    /// <summary>Skips the value of a field with <paramref name="wireType"/> (groups are not used by OTLP and are rejected).</summary>
    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case Varint:
                ReadVarint();
                break;
            case Fixed64:
                Take(8);
                break;
            case Len:
                ReadLengthDelimited();
                break;
            case Fixed32:
                Take(4);
                break;
            default:
                throw new InvalidDataException($"protobuf wire type {wireType} is not supported");
        }
    }

    /// <summary>
    /// Skips the value of field <paramref name="field"/>, groups included (wire type 3 up to the end-group tag of the
    /// same field, nested at most <see cref="MaxGroupDepth"/> deep), as Google.Protobuf keeps them in unknown fields.
    /// For readers of messages that the decoder has already accepted, which may carry groups from a newer or other
    /// schema; <see cref="Skip"/> rejects groups.
    /// </summary>
    public void SkipField(int field, int wireType) => SkipField(field, wireType, 0);

    private void SkipField(int field, int wireType, int depth)
    {
        if (wireType != StartGroup)
        {
            Skip(wireType);
            return;
        }

        if (depth >= MaxGroupDepth)
        {
            throw new InvalidDataException($"protobuf groups are nested more than {MaxGroupDepth} deep");
        }

        while (true)
        {
            if (!TryReadTag(out var inner, out var innerType))
            {
                throw new InvalidDataException($"protobuf group of field {field} is not terminated");
            }

            if (innerType == EndGroup)
            {
                if (inner != field)
                {
                    throw new InvalidDataException($"protobuf group of field {field} ends with the end tag of field {inner}");
                }

                return;
            }

            SkipField(inner, innerType, depth + 1);
        }
    }

    /// <summary>The raw bytes from <paramref name="start"/> to the current position (a whole field, tag included).</summary>
    public readonly ReadOnlySpan<byte> Since(int start) => _buffer[start.._position];

    private ReadOnlySpan<byte> Take(int length)
    {
        // Compared as remaining bytes: _position + length overflows for a length near int.MaxValue.
        if (length < 0 || length > _buffer.Length - _position)
        {
            throw new InvalidDataException($"protobuf field of {length} bytes at offset {_position} runs past the end of its message");
        }

        var slice = _buffer.Slice(_position, length);
        _position += length;
        return slice;
    }
}
