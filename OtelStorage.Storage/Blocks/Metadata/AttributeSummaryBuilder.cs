using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.IO.Hashing;
using System.Text;
using OpenTelemetry.Proto.Common.V1;
using OtelStorage.Otlp.Wire;

namespace OtelStorage.Storage.Blocks.Metadata;

/// <summary>
/// Collects a block's <see cref="AttributeSummaries"/> from encoded OTLP <c>KeyValue</c>s, read where they lie:
/// a key is looked up by its bytes, a value is hashed from its bytes (numbers formatted on the stack), and strings
/// are allocated only for new keys and for the few values that get listed. Keys past their distinct-value bound
/// stop being hashed at all.
/// </summary>
public sealed class AttributeSummaryBuilder
{
    private static readonly string[] TypeNames = ["string", "int", "float", "bool", "bytes", "keyword"];

    private readonly AttributeSummaryLimits _limits;
    private readonly Dictionary<byte[], KeyState>[] _keys = new Dictionary<byte[], KeyState>[6];
    private readonly Dictionary<byte[], KeyState>.AlternateLookup<ReadOnlySpan<byte>>[] _lookups = new Dictionary<byte[], KeyState>.AlternateLookup<ReadOnlySpan<byte>>[6];
    private readonly bool[] _truncated = new bool[6];

    // Most attributes repeat exactly (same key, same value) across a block's spans, so each scope remembers encoded
    // KeyValues already summarized and skips them before any parsing or hashing of their value.
    private const int MaxRememberedPairs = 16_384;
    private const int MaxRememberedPairBytes = 256;
    private readonly HashSet<byte[]>[] _pairs = new HashSet<byte[]>[6];
    private readonly HashSet<byte[]>.AlternateLookup<ReadOnlySpan<byte>>[] _pairLookups = new HashSet<byte[]>.AlternateLookup<ReadOnlySpan<byte>>[6];

    public AttributeSummaryBuilder(AttributeSummaryLimits limits)
    {
        _limits = limits;
        for (var i = 0; i < _keys.Length; i++)
        {
            _keys[i] = new Dictionary<byte[], KeyState>(KeyComparer.Instance);
            _lookups[i] = _keys[i].GetAlternateLookup<ReadOnlySpan<byte>>();
            _pairs[i] = new HashSet<byte[]>(KeyComparer.Instance);
            _pairLookups[i] = _pairs[i].GetAlternateLookup<ReadOnlySpan<byte>>();
        }
    }

    /// <summary>Adds one encoded OTLP <c>KeyValue</c> of <paramref name="scope"/>.</summary>
    /// <exception cref="InvalidDataException">The bytes are not protobuf.</exception>
    public void AddKeyValue(AttributeScope scope, ReadOnlySpan<byte> keyValue)
    {
        var pairs = _pairLookups[(int)scope];
        if (pairs.Contains(keyValue))
        {
            return;
        }

        // Pairs of keys past their value bound are cheap to summarize again and would only fill the set.
        if (Summarize(scope, keyValue) && keyValue.Length <= MaxRememberedPairBytes && _pairs[(int)scope].Count < MaxRememberedPairs)
        {
            pairs.Add(keyValue);
        }
    }

    /// <summary>Summarizes one KeyValue; false when its key keeps no more values (too many, or not kept at all).</summary>
    private bool Summarize(AttributeScope scope, ReadOnlySpan<byte> keyValue)
    {
        ReadOnlySpan<byte> key = default, value = default;
        var values = 0;
        var wire = new ProtoWire(keyValue);
        while (wire.TryReadTag(out var field, out var wireType))
        {
            if (field == KeyValue.KeyFieldNumber && wireType == ProtoWire.Len)
            {
                key = wire.ReadLengthDelimited();
            }
            else if (field == KeyValue.ValueFieldNumber && wireType == ProtoWire.Len)
            {
                value = wire.ReadLengthDelimited();
                values++;
            }
            else
            {
                wire.SkipField(field, wireType);
            }
        }

        if (Key(scope, key) is not { } state || state.Seen is null)
        {
            return false;
        }

        if (values > 1)
        {
            // Two value fields merge in protobuf; rare enough to leave to the parser.
            var merged = KeyValue.Parser.ParseFrom(keyValue).Value;
            if (AttributeText.Format(merged) is { } text)
            {
                Add(state, TypeOf(merged.ValueCase), Encoding.UTF8.GetBytes(text));
            }

            return state.Seen is not null;
        }

        AddAnyValue(state, value);
        return state.Seen is not null;
    }

    /// <summary>Adds a value given as UTF-8 text, such as an intrinsic's.</summary>
    public void AddValue(AttributeScope scope, ReadOnlySpan<byte> key, AttributeValueType type, ReadOnlySpan<byte> utf8)
    {
        if (Key(scope, key) is { Seen: not null } state)
        {
            Add(state, type, utf8);
        }
    }

    /// <summary>The summaries, within <see cref="AttributeSummaryLimits"/>.</summary>
    public AttributeSummaries Build()
    {
        var summaries = new AttributeSummaries();
        long bloomBytes = 0, listedBytes = 0;
        for (var s = 0; s < _keys.Length; s++)
        {
            var scope = summaries.Of((AttributeScope)s);
            scope.Truncated = _truncated[s];
            foreach (var state in _keys[s].Values.OrderBy(k => k.Name, StringComparer.Ordinal))
            {
                // The smallest values (by UTF-8 bytes) that fit the key's and the block's byte budgets, so the summary
                // depends only on the block's spans, not on their order: a merged block summarizes as its requests would.
                var unlisted = state.Unlisted;
                var keyBytes = 0;
                var summary = new KeySummary();
                foreach (var (type, utf8) in state.Listed)
                {
                    if (keyBytes + utf8.Length > _limits.MaxListedBytesPerKey || listedBytes + utf8.Length > _limits.MaxListedBytesPerBlock)
                    {
                        unlisted = true;
                        break;
                    }

                    keyBytes += utf8.Length;
                    listedBytes += utf8.Length;
                    if (!summary.Values.TryGetValue(TypeNames[(int)type], out var list))
                    {
                        summary.Values[TypeNames[(int)type]] = list = [];
                    }

                    list.Add(Encoding.UTF8.GetString(utf8));
                }

                foreach (var list in summary.Values.Values)
                {
                    list.Sort(StringComparer.Ordinal);
                }

                var complete = summary.Complete = state.Seen is not null && !unlisted;
                if (!complete && state.Seen is not null)
                {
                    var bloom = BloomFilter.Create(state.TextHashes.Count, _limits.BloomFalsePositiveRate);
                    if (bloomBytes + bloom.SerializedSize <= _limits.MaxBloomBytesPerBlock)
                    {
                        bloomBytes += bloom.SerializedSize;
                        var hash = new byte[16];
                        foreach (var h in state.TextHashes)
                        {
                            System.Buffers.Binary.BinaryPrimitives.WriteUInt128LittleEndian(hash, h);
                            bloom.Add(hash);
                        }

                        var bytes = new byte[bloom.SerializedSize];
                        bloom.WriteTo(bytes);
                        summary.Bloom = Convert.ToBase64String(bytes);
                    }
                }

                // Invalid UTF-8 keys that decode alike share a name: the merged key may then hold anything.
                if (!scope.Keys.TryAdd(state.Name, summary))
                {
                    scope.Keys[state.Name] = new KeySummary();
                }
            }
        }

        return summaries;
    }

    private KeyState? Key(AttributeScope scope, ReadOnlySpan<byte> key)
    {
        var s = (int)scope;
        if (_lookups[s].TryGetValue(key, out var state))
        {
            return state;
        }

        if (key.Length > _limits.MaxKeyBytes || _keys[s].Count >= _limits.MaxKeysPerScope)
        {
            _truncated[s] = true;
            return null;
        }

        state = new KeyState(Encoding.UTF8.GetString(key));
        _keys[s][key.ToArray()] = state;
        return state;
    }

    /// <summary>
    /// Adds an encoded <c>AnyValue</c> by its <see cref="AttributeText"/> form; maps have none. An array adds each of its
    /// scalar elements, because TraceQL's comparisons match an array when one element does.
    /// </summary>
    private void AddAnyValue(KeyState state, ReadOnlySpan<byte> anyValue, bool inArray = false)
    {
        // A oneof takes the last of its fields on the wire.
        var field = 0;
        ulong number = 0;
        ReadOnlySpan<byte> bytes = default;
        var wire = new ProtoWire(anyValue);
        while (wire.TryReadTag(out var f, out var wireType))
        {
            switch (f, wireType)
            {
                case (AnyValue.StringValueFieldNumber or AnyValue.BytesValueFieldNumber or AnyValue.ArrayValueFieldNumber or AnyValue.KvlistValueFieldNumber, ProtoWire.Len):
                    bytes = wire.ReadLengthDelimited();
                    field = f;
                    break;
                case (AnyValue.BoolValueFieldNumber or AnyValue.IntValueFieldNumber, ProtoWire.Varint):
                    number = wire.ReadVarint();
                    field = f;
                    break;
                case (AnyValue.DoubleValueFieldNumber, ProtoWire.Fixed64):
                    number = wire.ReadFixed64();
                    field = f;
                    break;
                default:
                    wire.SkipField(f, wireType);
                    break;
            }
        }

        Span<byte> text = stackalloc byte[32];
        switch (field)
        {
            case AnyValue.StringValueFieldNumber:
                // The parser decodes invalid UTF-8 with replacement characters, and filters compare that text.
                Add(state, AttributeValueType.StringValue, System.Text.Unicode.Utf8.IsValid(bytes) ? bytes : Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(bytes)));
                break;
            case AnyValue.BoolValueFieldNumber:
                Add(state, AttributeValueType.BoolValue, number != 0 ? "true"u8 : "false"u8);
                break;
            case AnyValue.IntValueFieldNumber:
                unchecked((long)number).TryFormat(text, out var written, default, CultureInfo.InvariantCulture);
                Add(state, AttributeValueType.IntValue, text[..written]);
                break;
            case AnyValue.DoubleValueFieldNumber:
                BitConverter.UInt64BitsToDouble(number).TryFormat(text, out written, "R", CultureInfo.InvariantCulture);
                Add(state, AttributeValueType.FloatValue, text[..written]);
                break;
            case AnyValue.BytesValueFieldNumber:
                var base64 = ArrayPool<byte>.Shared.Rent(Base64.GetMaxEncodedToUtf8Length(bytes.Length));
                Base64.EncodeToUtf8(bytes, base64, out _, out written);
                Add(state, AttributeValueType.BytesValue, base64.AsSpan(0, written));
                ArrayPool<byte>.Shared.Return(base64);
                break;
            case AnyValue.ArrayValueFieldNumber when !inArray:
                var elements = new ProtoWire(bytes);
                while (elements.TryReadTag(out var f, out var wireType))
                {
                    if (f == ArrayValue.ValuesFieldNumber && wireType == ProtoWire.Len)
                    {
                        AddAnyValue(state, elements.ReadLengthDelimited(), inArray: true);
                    }
                    else
                    {
                        elements.SkipField(f, wireType);
                    }
                }

                break;
        }
    }

    private void Add(KeyState state, AttributeValueType type, ReadOnlySpan<byte> utf8)
    {
        // Seen is null once the key is past its bound, which an array's elements can reach midway.
        var hash = XxHash128.HashToUInt128(utf8);
        if (state.Seen is null || !state.Seen.Add(hash ^ (UInt128)(int)type))
        {
            return;
        }

        if (state.Seen.Count > _limits.MaxSketchedValues)
        {
            // Too many values to sketch: the key may hold any value, so nothing more is kept for it.
            state.Seen = null;
            state.TextHashes.Clear();
            state.Listed.Clear();
            return;
        }

        state.TextHashes.Add(hash);
        if (utf8.Length > _limits.MaxValueBytes)
        {
            state.Unlisted = true;
            return;
        }

        // Keep the smallest values: which ones are kept then does not depend on the order spans arrive in.
        var listed = state.Listed;
        if (listed.Count >= _limits.MaxValuesPerKey)
        {
            state.Unlisted = true;
            if (Compare(utf8, type, listed[^1]) >= 0)
            {
                return;
            }

            listed.RemoveAt(listed.Count - 1);
        }

        var at = listed.Count;
        while (at > 0 && Compare(utf8, type, listed[at - 1]) < 0)
        {
            at--;
        }

        listed.Insert(at, (type, utf8.ToArray()));
    }

    private static int Compare(ReadOnlySpan<byte> utf8, AttributeValueType type, (AttributeValueType Type, byte[] Utf8) other) =>
        utf8.SequenceCompareTo(other.Utf8) is var c && c != 0 ? c : type.CompareTo(other.Type);

    private static AttributeValueType TypeOf(AnyValue.ValueOneofCase value) => value switch
    {
        AnyValue.ValueOneofCase.IntValue => AttributeValueType.IntValue,
        AnyValue.ValueOneofCase.DoubleValue => AttributeValueType.FloatValue,
        AnyValue.ValueOneofCase.BoolValue => AttributeValueType.BoolValue,
        AnyValue.ValueOneofCase.BytesValue => AttributeValueType.BytesValue,
        _ => AttributeValueType.StringValue,
    };

    private sealed class KeyState(string name)
    {
        public string Name { get; } = name;

        /// <summary>Hashes of (text, type) seen; null once the key has more distinct values than can be sketched.</summary>
        public HashSet<UInt128>? Seen { get; set; } = [];

        public List<UInt128> TextHashes { get; } = [];

        /// <summary>The smallest values by UTF-8 bytes (then type), at most <see cref="AttributeSummaryLimits.MaxValuesPerKey"/>, in order.</summary>
        public List<(AttributeValueType Type, byte[] Utf8)> Listed { get; } = [];

        /// <summary>True once a value was left out of <see cref="Listed"/>.</summary>
        public bool Unlisted { get; set; }
    }

    private sealed class KeyComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static readonly KeyComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => GetHashCode(obj.AsSpan());

        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<byte> alternate) => unchecked((int)XxHash3.HashToUInt64(alternate));

        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
    }
}
