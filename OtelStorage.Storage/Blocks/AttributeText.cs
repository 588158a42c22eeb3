using System.Globalization;
using OpenTelemetry.Proto.Common.V1;

namespace OtelStorage.Storage.Blocks;

/// <summary>The string form of an attribute value that tag filters compare against.</summary>
public static class AttributeText
{
    /// <summary>
    /// Strings as they are, integers in decimal, booleans as <c>true</c>/<c>false</c>, doubles in round-trip
    /// invariant form, bytes in base64; arrays and maps have no scalar form and return null.
    /// </summary>
    public static string? Format(AnyValue? value) => value?.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => value.StringValue,
        AnyValue.ValueOneofCase.IntValue => value.IntValue.ToString(CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.BoolValue => value.BoolValue ? "true" : "false",
        AnyValue.ValueOneofCase.DoubleValue => value.DoubleValue.ToString("R", CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.BytesValue => value.BytesValue.ToBase64(),
        _ => null,
    };
}
