namespace OtelStorage.LoadGen.Verification;

/// <summary>A span as verification compares it: its ID, and the fingerprint of its content (<see cref="SpanContent"/>).</summary>
public readonly record struct SpanFingerprint(ulong SpanId, int Content);
