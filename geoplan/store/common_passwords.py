"""The most common passwords, which :func:`geoplan.store.passwords.check_password` refuses.

Written down from the top of the public lists (SecLists' most-common lists, the RockYou and CSDN leaks as published
in the studies of them) without network access, so it is a few hundred entries, not thousands: the policy's rules
(length, repeats, runs of letters, digits and neighbouring keys, only digits) catch most of the rest. Entries are
lower case; the check also tries a password with its leading and trailing digits and symbols removed and common
letter substitutions undone (``P@ssw0rd2024`` is ``password``).
"""

from __future__ import annotations

__all__ = ["COMMON_PASSWORDS"]

_TEXT = """
123456 123456789 12345678 password 12345 qwerty 1234567 111111 123123 1234567890 000000 abc123 password1 iloveyou
1q2w3e4r 1qaz2wsx qwerty123 qwertyuiop 123321 666666 888888 654321 987654321 123qwe 1q2w3e 1q2w3e4r5t 121212
112233 123654 159753 147258 147258369 789456 789456123 456789 5201314 520520 1314520 woaini woaini1314
woaini520 woaini123 woaiwojia wodemima mima mima123 aini1314 iloveyou1 iloveyou2 loveyou lovelove love123 caonima
zhang123 wang123 li123456 liu123 chen123 zhangwei wangwei qq123456 qq123 a123456 a123456789 a12345678 aa123456
abc123456 abcd1234 abcd123 asd123 asdasd asdfgh asdfghjkl qweasd qweasdzxc zxcvbnm zxcvbn zaq12wsx zaq1xsw2
1qazxsw2 !qaz2wsx qazwsx qazwsxedc passw0rd p@ssword p@ssw0rd password123 password12 password2 pass123 pass1234
admin admin123 admin1234 administrator root root123 toor test test123 test1234 guest guest123 user user123
welcome welcome1 welcome123 letmein letmein1 changeme default secret secret123 login master master123 hello
hello123 helloworld monkey dragon baseball football soccer hockey basketball superman batman spiderman
starwars pokemon naruto princess sunshine shadow michael jennifer jordan jordan23 michelle daniel thomas
charlie andrew joshua jessica ashley nicole hannah amanda justin robert matthew trustno1 whatever freedom
computer internet samsung iphone google yahoo facebook qwerty1 qwerty12 qwertyu 1qaz2wsx3edc 1234qwer qwer1234
q1w2e3r4 q1w2e3r4t5 a1b2c3d4 a1b2c3 aaaaaa aaaaaaaa 11111111 111111111 1111111111 00000000 0000000000 88888888
66666666 99999999 12341234 11223344 12344321 1234554321 123454321 12121212 123123123 123456a 123456aa 123456abc
123456789a 1234567890a a1234567 zxc123 zxc123456 1234abcd 7758521 7758258 520131400 woshishui nihao nihao123
buzhidao dingding huanhuan xiaoming xiaoxiao tiantian beijing shanghai shenzhen guangzhou china123 zhongguo
baobao baobei baobei520 laopo laogong laopo520 wangyi sina123 taobao alibaba tencent baidu weixin wechat
iloveu ilovechina 5211314 1314521 hahaha haha123 hahahaha abcdef abcdefg abcdefgh qwe123 qwe123456 asdf1234
asdfasdf zxcvbnm123 qazxswedc ji32k7au4a83 1qa2ws3ed 987654 7654321 87654321 98765432 0123456789 00000
access flower summer winter autumn spring monday friday october killer hunter ranger banana cheese cookie
chocolate orange purple silver golden diamond butterfly angel angels lovely family mother father forever
blink182 corvette ferrari mustang porsche harley yamaha liverpool chelsea arsenal barcelona realmadrid manutd
"""

#: Common passwords, lower case.
COMMON_PASSWORDS = frozenset(_TEXT.split())
