using System.Buffers;
using System.Globalization;
using System.Text;
using OpenTelemetry.Proto.Common.V1;
using OtelStorage.Otlp.Wire;

namespace OtelStorage.Storage.Blocks.V1;

/// <summary>
/// Copies span attributes into the promoted columns that <see cref="V1Schema.PromotedAttributes"/> lists, reading each
/// encoded <c>KeyValue</c> as it is. A column takes the value of the first of its keys, in the schema's order, that
/// the span has with a value of the column's type (a string; for an integer column an integer, or a string that
/// parses as one): the stable semantic-convention key wins over the legacy one, whatever their order on the span.
/// </summary>
internal sealed class V1AttributePromoter(BlockStrings strings)
{
    private static readonly PromotedKey[] Keys = KeysOf(V1Schema.PromotedAttributes);

    // Most attributes are ruled out by their length or first byte before any key is compared.
    private static readonly int ShortestKey = Keys.Min(k => k.Utf8.Length);
    private static readonly SearchValues<byte> FirstBytes = SearchValues.Create([.. Keys.Select(k => k.Utf8[0]).Distinct()]);

    private enum Column
    {
        HttpMethod,
        HttpStatusCode,
        HttpRoute,
        DbSystem,
    }

    /// <summary>
    /// Copies a span attribute into its promoted column, unless a key ranked before it already filled the column.
    /// A repeated key's later string value replaces the earlier one; the status code keeps the first that is an integer.
    /// </summary>
    public void Promote(ReadOnlySpan<byte> keyValue, ref V1Row row, ref Ranks ranks)
    {
        ReadOnlySpan<byte> key = default, value = default;
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
            }
            else
            {
                wire.SkipField(field, wireType);
            }
        }

        if (key.Length < ShortestKey || !FirstBytes.Contains(key[0]))
        {
            return;
        }

        foreach (var promoted in Keys)
        {
            if (!key.SequenceEqual(promoted.Utf8))
            {
                continue;
            }

            if (promoted.Rank == 0)
            {
                var flag = Flag(promoted.Column);
                ranks.Repeated |= ranks.FirstKeys & flag;
                ranks.FirstKeys |= flag;
            }

            switch (promoted.Column)
            {
                case Column.HttpMethod:
                    TakeString(value, promoted.Rank, ref ranks.Method, ref row.HttpMethod);
                    break;
                case Column.HttpStatusCode:
                    if (promoted.Rank < ranks.Status && TryGetInt(value, out var code))
                    {
                        ranks.Status = promoted.Rank;
                        row.HttpStatusCode = code;
                    }

                    break;
                case Column.HttpRoute:
                    TakeString(value, promoted.Rank, ref ranks.Route, ref row.HttpRoute);
                    break;
                case Column.DbSystem:
                    TakeString(value, promoted.Rank, ref ranks.Db, ref row.DbSystem);
                    break;
            }

            return;
        }
    }

    private static InexactColumns Flag(Column column) => column switch
    {
        Column.HttpMethod => InexactColumns.HttpMethod,
        Column.HttpStatusCode => InexactColumns.HttpStatusCode,
        Column.HttpRoute => InexactColumns.HttpRoute,
        _ => InexactColumns.DbSystem,
    };

    private void TakeString(ReadOnlySpan<byte> anyValue, int rank, ref int bestRank, ref int target)
    {
        if (rank <= bestRank && TryGetString(anyValue, out var utf8))
        {
            bestRank = rank;
            target = strings.Id(utf8);
        }
    }

    private static bool TryGetString(ReadOnlySpan<byte> anyValue, out ReadOnlySpan<byte> utf8)
    {
        utf8 = default;
        var found = false;
        var wire = new ProtoWire(anyValue);
        while (wire.TryReadTag(out var field, out var wireType))
        {
            if (field == AnyValue.StringValueFieldNumber && wireType == ProtoWire.Len)
            {
                utf8 = wire.ReadLengthDelimited();
                found = true;
            }
            else
            {
                wire.SkipField(field, wireType);
                found = false;
            }
        }

        return found;
    }

    private static bool TryGetInt(ReadOnlySpan<byte> anyValue, out int result)
    {
        result = 0;
        var found = false;
        var wire = new ProtoWire(anyValue);
        while (wire.TryReadTag(out var field, out var wireType))
        {
            if (field == AnyValue.IntValueFieldNumber && wireType == ProtoWire.Varint)
            {
                var v = unchecked((long)wire.ReadVarint());
                found = v is >= int.MinValue and <= int.MaxValue;
                result = found ? (int)v : 0;
            }
            else if (field == AnyValue.StringValueFieldNumber && wireType == ProtoWire.Len)
            {
                found = int.TryParse(wire.ReadLengthDelimited(), NumberStyles.Integer, CultureInfo.InvariantCulture, out result);
            }
            else
            {
                wire.SkipField(field, wireType);
                found = false;
            }
        }

        return found;
    }

    /// <summary>Each promoted key in UTF-8, with the column it fills and its rank among that column's keys (0 first).</summary>
    private static PromotedKey[] KeysOf((string Column, string[] Keys)[] promoted)
    {
        var keys = new List<PromotedKey>();
        foreach (var (name, names) in promoted)
        {
            var column =
                name == V1Schema.HttpMethod.Name ? Column.HttpMethod
                : name == V1Schema.HttpStatusCode.Name ? Column.HttpStatusCode
                : name == V1Schema.HttpRoute.Name ? Column.HttpRoute
                : name == V1Schema.DbSystem.Name ? Column.DbSystem
                : throw new InvalidOperationException($"V1Schema promotes attributes to column '{name}', which {nameof(V1AttributePromoter)} does not fill");
            for (var rank = 0; rank < names.Length; rank++)
            {
                keys.Add(new PromotedKey(Encoding.UTF8.GetBytes(names[rank]), column, rank));
            }
        }

        return [.. keys];
    }

    private readonly record struct PromotedKey(byte[] Utf8, Column Column, int Rank);

    /// <summary>The rank of the key each promoted column of one span holds, and which first keys it has; a new span starts with none.</summary>
    public struct Ranks()
    {
        public int Method = int.MaxValue;
        public int Status = int.MaxValue;
        public int Route = int.MaxValue;
        public int Db = int.MaxValue;
        public InexactColumns FirstKeys = InexactColumns.None;
        public InexactColumns Repeated = InexactColumns.None;

        /// <summary>The columns that, once every attribute of the span is promoted, do not hold the first key the span has.</summary>
        public readonly InexactColumns Inexact =>
            Repeated
            | (FirstKeys & (
                (Method != 0 ? InexactColumns.HttpMethod : 0)
                | (Status != 0 ? InexactColumns.HttpStatusCode : 0)
                | (Route != 0 ? InexactColumns.HttpRoute : 0)
                | (Db != 0 ? InexactColumns.DbSystem : 0)));
    }
}
