namespace OtelStorage.TraceQL.Lexing;

/// <summary>What a <see cref="Token"/> is.</summary>
internal enum TokenKind
{
    /// <summary>The end of the query.</summary>
    End,

    /// <summary><c>{</c></summary>
    OpenBrace,

    /// <summary><c>}</c></summary>
    CloseBrace,

    /// <summary><c>(</c></summary>
    OpenParen,

    /// <summary><c>)</c></summary>
    CloseParen,

    /// <summary><c>,</c></summary>
    Comma,

    /// <summary><c>|</c></summary>
    Pipe,

    /// <summary><c>=</c></summary>
    Equal,

    /// <summary><c>!=</c></summary>
    NotEqual,

    /// <summary><c>=~</c></summary>
    Regex,

    /// <summary><c>!~</c>: a negated regular expression, or between span sets "not sibling".</summary>
    NotRegex,

    /// <summary><c>&gt;</c>: greater than, or between span sets "child".</summary>
    Greater,

    /// <summary><c>&gt;=</c></summary>
    GreaterOrEqual,

    /// <summary><c>&lt;</c>: less than, or between span sets "parent".</summary>
    Less,

    /// <summary><c>&lt;=</c></summary>
    LessOrEqual,

    /// <summary><c>&amp;&amp;</c></summary>
    And,

    /// <summary><c>||</c></summary>
    Or,

    /// <summary><c>!</c></summary>
    Not,

    /// <summary><c>+</c></summary>
    Plus,

    /// <summary><c>-</c></summary>
    Minus,

    /// <summary><c>*</c></summary>
    Star,

    /// <summary><c>/</c></summary>
    Slash,

    /// <summary><c>%</c></summary>
    Percent,

    /// <summary><c>^</c></summary>
    Caret,

    /// <summary><c>&gt;&gt;</c>: descendant.</summary>
    Descendant,

    /// <summary><c>&lt;&lt;</c>: ancestor.</summary>
    Ancestor,

    /// <summary><c>~</c>: sibling.</summary>
    Tilde,

    /// <summary><c>!&gt;</c>: not child.</summary>
    NotChild,

    /// <summary><c>!&lt;</c>: not parent.</summary>
    NotParent,

    /// <summary><c>!&gt;&gt;</c>: not descendant.</summary>
    NotDescendant,

    /// <summary><c>!&lt;&lt;</c>: not ancestor.</summary>
    NotAncestor,

    /// <summary><c>&amp;&gt;</c>: union child.</summary>
    UnionChild,

    /// <summary><c>&amp;&lt;</c>: union parent.</summary>
    UnionParent,

    /// <summary><c>&amp;&gt;&gt;</c>: union descendant.</summary>
    UnionDescendant,

    /// <summary><c>&amp;&lt;&lt;</c>: union ancestor.</summary>
    UnionAncestor,

    /// <summary><c>&amp;~</c>: union sibling.</summary>
    UnionSibling,

    /// <summary>An integer literal; the value is in <see cref="Token.Value"/>.</summary>
    Integer,

    /// <summary>A float literal.</summary>
    Float,

    /// <summary>A duration literal such as <c>100ms</c>.</summary>
    Duration,

    /// <summary>A string literal in double quotes or backticks.</summary>
    String,

    /// <summary>A bare word: a keyword, an intrinsic, an enum value or a function name.</summary>
    Identifier,

    /// <summary>A scoped intrinsic such as <c>span:id</c> or <c>trace:rootService</c>.</summary>
    ScopedIntrinsic,

    /// <summary>An attribute such as <c>span.http.route</c> or <c>.foo</c>; scope and name are in the token.</summary>
    Attribute,
}
