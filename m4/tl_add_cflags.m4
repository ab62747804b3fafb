# TL_ADD_CFLAGS(VARIABLE, FLAGS)
# Append to VARIABLE each of FLAGS that the C compiler accepts.
AC_DEFUN([TL_ADD_CFLAGS], [
    for tl_flag in $2; do
        AC_MSG_CHECKING([whether $CC accepts $tl_flag])
        tl_save_CFLAGS=$CFLAGS
        CFLAGS="$CFLAGS -Werror $tl_flag"
        AC_COMPILE_IFELSE([AC_LANG_PROGRAM([], [])],
            [AC_MSG_RESULT([yes]); $1="$$1 $tl_flag"],
            [AC_MSG_RESULT([no])])
        CFLAGS=$tl_save_CFLAGS
    done
])
