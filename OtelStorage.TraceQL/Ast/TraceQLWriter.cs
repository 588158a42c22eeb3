using System.Text;

namespace OtelStorage.TraceQL.Ast;

/// <summary>Writes syntax trees back as TraceQL, parenthesizing every nested operation so the text parses to an equal tree.</summary>
internal static class TraceQLWriter
{
    private const string AttributeTerminators = "{}()=~!<>&|^,\"";

    public static string Write(Node node)
    {
        var text = new StringBuilder();
        Write(text, node);
        return text.ToString();
    }

    private static void Write(StringBuilder text, Node node)
    {
        switch (node)
        {
            case QueryExpression query:
                Write(text, query.Pipeline);
                if (query.Hints.Count > 0)
                {
                    text.Append(" with (").AppendJoin(", ", query.Hints.Select(h => h.Name + "=" + h.Value)).Append(')');
                }

                break;
            case QueryHint hint:
                text.Append(hint.Name).Append('=').Append(hint.Value);
                break;
            case Pipeline pipeline:
                for (var i = 0; i < pipeline.Stages.Count; i++)
                {
                    text.Append(i > 0 ? " | " : "");
                    Write(text, pipeline.Stages[i]);
                }

                break;
            case SpansetFilter filter:
                text.Append("{ ");
                if (filter.Condition is not null)
                {
                    Write(text, filter.Condition);
                    text.Append(' ');
                }

                text.Append('}');
                break;
            case SpansetOperation operation:
                WriteOperand(text, operation.Left);
                text.Append(' ').Append(OperatorText.Of(operation.Operator)).Append(' ');
                WriteOperand(text, operation.Right);
                break;
            case ScalarFilter filter:
                Write(text, filter.Left);
                text.Append(' ').Append(OperatorText.Of(filter.Operator)).Append(' ');
                Write(text, filter.Right);
                break;
            case GroupStage group:
                text.Append("by(");
                Write(text, group.Expression);
                text.Append(')');
                break;
            case CoalesceStage:
                text.Append("coalesce()");
                break;
            case SelectStage select:
                text.Append("select(").AppendJoin(", ", select.Fields.Select(f => f.ToString())).Append(')');
                break;
            case AggregateExpression aggregate:
                text.Append(OperatorText.Of(aggregate.Function)).Append('(');
                if (aggregate.Argument is not null)
                {
                    Write(text, aggregate.Argument);
                }

                text.Append(')');
                break;
            case ScalarLiteral literal:
                text.Append(literal.Value);
                break;
            case ScalarBinaryExpression binary:
                text.Append('(');
                Write(text, binary.Left);
                text.Append(' ').Append(OperatorText.Of(binary.Operator)).Append(' ');
                Write(text, binary.Right);
                text.Append(')');
                break;
            case PipelineAggregate aggregate:
                text.Append('(');
                Write(text, aggregate.Source);
                text.Append(" | ");
                Write(text, aggregate.Aggregate);
                text.Append(')');
                break;
            default:
                WriteField(text, node);
                break;
        }
    }

    private static void WriteOperand(StringBuilder text, SpansetExpression operand)
    {
        var wrap = operand is SpansetOperation or Pipeline;
        text.Append(wrap ? "(" : "");
        Write(text, operand);
        text.Append(wrap ? ")" : "");
    }

    private static void WriteField(StringBuilder text, Node node)
    {
        switch (node)
        {
            case AttributeReference attribute:
                text.Append(ScopePrefix(attribute.Scope)).Append(AttributeName(attribute.Scope, attribute.Name));
                break;
            case IntrinsicReference intrinsic:
                text.Append(intrinsic.Spelling);
                break;
            case Literal literal:
                text.Append(literal.Value);
                break;
            case UnaryExpression { Operator: UnaryOperator.Exists or UnaryOperator.NotExists } existence:
                WriteFieldOperand(text, existence.Operand);
                text.Append(existence.Operator == UnaryOperator.Exists ? " != nil" : " = nil");
                break;
            case UnaryExpression unary:
                text.Append(unary.Operator == UnaryOperator.Not ? '!' : '-');
                WriteFieldOperand(text, unary.Operand);
                break;
            case BinaryExpression binary:
                WriteFieldOperand(text, binary.Left);
                text.Append(' ').Append(OperatorText.Of(binary.Operator)).Append(' ');
                WriteFieldOperand(text, binary.Right);
                break;
            default:
                throw new InvalidOperationException($"no TraceQL spelling for {node.GetType().Name}");
        }
    }

    private static void WriteFieldOperand(StringBuilder text, FieldExpression operand)
    {
        var wrap = operand is BinaryExpression or UnaryExpression
            || (operand is Literal literal && literal.Value.IsNumeric && literal.Value.AsDouble() < 0);
        text.Append(wrap ? "(" : "");
        WriteField(text, operand);
        text.Append(wrap ? ")" : "");
    }

    private static string ScopePrefix(AttributeScope scope) => scope switch
    {
        AttributeScope.None => ".",
        _ => scope.ToString().ToLowerInvariant() + ".",
    };

    private static string AttributeName(AttributeScope scope, string name)
    {
        // An unscoped name starting with a digit would read back as a number (.5), so it is quoted.
        var plain = name.Length > 0
            && !(scope == AttributeScope.None && char.IsAsciiDigit(name[0]))
            && !name.Any(c => char.IsWhiteSpace(c) || AttributeTerminators.Contains(c, StringComparison.Ordinal));
        return plain ? name : "\"" + name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
    }
}
