"""Repository rule: a small offline stand-in repository kept in this repo's third_party/."""

def _local_stand_in_impl(rctx):
    source = rctx.path(rctx.attr.build_file).dirname
    for child in source.readdir():
        rctx.symlink(child, child.basename)
    rctx.file("WORKSPACE", "workspace(name = \"{}\")\n".format(rctx.name))

local_stand_in = repository_rule(
    implementation = _local_stand_in_impl,
    attrs = {
        "build_file": attr.label(mandatory = True, allow_single_file = True, doc = "The BUILD.bazel at the stand-in's root."),
    },
)
