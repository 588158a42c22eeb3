using System.Text;

namespace OtelStorage.Storage.Blocks.V1;

/// <summary>
/// The strings of a block (service and span names, trace states, promoted attribute values), each distinct value
/// kept once: as UTF-8 in the arena for the Parquet writer, and as one .NET string, so the metadata extractor can
/// group by reference. Id 0 is the empty string.
/// </summary>
internal sealed class BlockStrings
{
    private const int MaxInternedBytes = 256;
    private const int MaxInterned = 65_536;

    private readonly SpanArena _arena;
    private readonly List<(string Text, Slice Utf8)> _entries = [(string.Empty, default)];
    private readonly Dictionary<ReadOnlyMemory<byte>, int> _ids = new(Utf8Comparer.Instance);
    private readonly Dictionary<ReadOnlyMemory<byte>, int>.AlternateLookup<ReadOnlySpan<byte>> _lookup;
    private readonly Dictionary<string, int> _textIds = new(StringComparer.Ordinal);

    public BlockStrings(SpanArena arena)
    {
        _arena = arena;
        _lookup = _ids.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    public string Text(int id) => _entries[id].Text;

    public Slice Utf8(int id) => _entries[id].Utf8;

    /// <summary>The id of a string read back from a block; repeated values (names of a row group's spans) are looked up without encoding them again.</summary>
    public int Id(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return 0;
        }

        if (_textIds.TryGetValue(text, out var id))
        {
            return id;
        }

        id = Id(Encoding.UTF8.GetBytes(text));
        if (text.Length <= MaxInternedBytes && _textIds.Count < MaxInterned)
        {
            _textIds[text] = id;
        }

        return id;
    }

    /// <summary>
    /// The id of a protobuf string's bytes. Invalid UTF-8 is stored as its decoding (with U+FFFD), so the Parquet
    /// string columns stay valid for external engines. Long or unusually many distinct values are not interned.
    /// </summary>
    public int Id(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty)
        {
            return 0;
        }

        if (_lookup.TryGetValue(utf8, out var id))
        {
            return id;
        }

        var text = Encoding.UTF8.GetString(utf8);
        var stored = _arena.Append(System.Text.Unicode.Utf8.IsValid(utf8) ? utf8 : Encoding.UTF8.GetBytes(text));
        id = _entries.Count;
        _entries.Add((text, stored));
        if (utf8.Length <= MaxInternedBytes && _ids.Count < MaxInterned && stored.Length == utf8.Length)
        {
            _ids[_arena.Memory(stored)] = id;
        }

        return id;
    }

    private sealed class Utf8Comparer : IEqualityComparer<ReadOnlyMemory<byte>>, IAlternateEqualityComparer<ReadOnlySpan<byte>, ReadOnlyMemory<byte>>
    {
        public static readonly Utf8Comparer Instance = new();

        public bool Equals(ReadOnlyMemory<byte> x, ReadOnlyMemory<byte> y) => x.Span.SequenceEqual(y.Span);

        public int GetHashCode(ReadOnlyMemory<byte> obj) => GetHashCode(obj.Span);

        public bool Equals(ReadOnlySpan<byte> alternate, ReadOnlyMemory<byte> other) => alternate.SequenceEqual(other.Span);

        public int GetHashCode(ReadOnlySpan<byte> alternate)
        {
            var hash = new HashCode();
            hash.AddBytes(alternate);
            return hash.ToHashCode();
        }

        public ReadOnlyMemory<byte> Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
    }
}
