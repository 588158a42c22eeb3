namespace OtelStorage.Storage.Blocks.V1;

/// <summary>One span as the builder holds it: scalars, ids of <see cref="BlockStrings"/>, and slices of a <see cref="SpanArena"/>. It holds no references.</summary>
internal struct V1Row
{
    public Slice TraceId;
    public Slice SpanId;
    public Slice ParentSpanId;
    public Slice Rest;
    public ulong Start;
    public long Duration;
    public int Name;
    public int TraceState;
    public int HttpMethod;
    public int HttpRoute;
    public int DbSystem;
    public int Kind;
    public int StatusCode;
    public int Flags;
    public int HttpStatusCode;
    public int Resource;
    public int Scope;
    public InexactColumns Inexact;
}
