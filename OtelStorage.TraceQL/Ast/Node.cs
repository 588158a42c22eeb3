using OtelStorage.TraceQL.Lexing;

namespace OtelStorage.TraceQL.Ast;

/// <summary>
/// A node of the syntax tree. Nodes are immutable records that compare by content; the <see cref="Position"/> they were
/// parsed at is left out of the comparison. <see cref="ToString"/> writes the node back as TraceQL that parses to an equal tree.
/// </summary>
public abstract record Node
{
    /// <summary>Where the node starts in the query text.</summary>
    public SourcePosition Position { get; init; }

    /// <summary>Equal when the type and content are, wherever the nodes were parsed.</summary>
    public virtual bool Equals(Node? other) => other is not null && EqualityContract == other.EqualityContract;

    /// <inheritdoc />
    public override int GetHashCode() => EqualityContract.GetHashCode();

    /// <summary>The node as TraceQL.</summary>
    public sealed override string ToString() => TraceQLWriter.Write(this);
}
